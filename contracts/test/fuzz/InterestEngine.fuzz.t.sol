// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm} from "../utils/Vm.sol";
import {FuzzBase} from "./FuzzBase.sol";
import {IIsomarginEngine, MarketState, RateModel, RiskUpdate} from "../../src/interfaces/IIsomarginEngine.sol";
import {ConstantsLib} from "../../src/libraries/ConstantsLib.sol";

/// @notice Interest accrual through the engine: every accrual equals the closed-form linear formula on the state
/// before it (plus the carried sub-unit remainder), the reserve share lands in the insurance fund, and lenders plus
/// insurance gain exactly the interest.
contract InterestEngineFuzzTest is FuzzBase {
    uint256 internal constant WAD = 1e18;

    /// @dev A random model within the engine's bounds (as in InterestLibFuzzTest) and reserve factor, set by the owner.
    function _setRandomModel(uint256 seed) internal returns (RateModel memory m, uint256 rf) {
        uint256 maxRate = ConstantsLib.MAX_RATE_PER_SECOND;
        uint256 base = _bound(uint64(seed), 0, maxRate / 4);
        uint256 s1 = _bound(uint64(seed >> 64), 0, maxRate / 4);
        uint256 s2 = _bound(uint64(seed >> 128), 0, maxRate - base - s1);
        m = RateModel(uint64(base), uint64(s1), uint64(s2), uint64(_bound(seed >> 192, 0, WAD - 1)));
        rf = _bound(seed >> 250, 0, ConstantsLib.MAX_RESERVE_FACTOR_BPS);
        _setModel(m, rf);
    }

    /// @dev Sets the model through the risk timelock (before any debt exists, so the wait charges nothing).
    function _setModel(RateModel memory m, uint256 rf) internal {
        RiskUpdate memory u = _riskOf(marketId);
        (u.rateModel, u.reserveFactorBps) = (m, uint16(rf));
        _changeRisk(marketId, u);
    }

    /// @dev The rate written in the interface NatSpec, computed here from scratch.
    function _formulaRate(RateModel memory m, uint256 borrowed, uint256 supplied) internal pure returns (uint256) {
        uint256 u = supplied == 0 ? 0 : Math.min(borrowed * WAD / supplied, WAD);
        if (u <= m.kink) return m.baseRatePerSecond + (m.kink == 0 ? 0 : m.slope1PerSecond * u / m.kink);
        return uint256(m.baseRatePerSecond) + m.slope1PerSecond + m.slope2PerSecond * (u - m.kink) / (WAD - m.kink);
    }

    /// @dev The state after accruing `s` to now (the formula: interest on the elapsed time plus the carried
    /// remainder, the reserve share to insurance, lastAccrual to now) and then adding `supplied` and `funded`.
    /// Updates `s` in place and returns it as `x`.
    function _predict(RateModel memory m, uint256 rf, MarketState memory s, uint256 supplied, uint256 funded)
        internal
        view
        returns (MarketState memory x, uint256 interest, uint256 reserve)
    {
        x = s;
        if (block.timestamp > s.lastAccrual) {
            uint256 rate = _formulaRate(m, s.totalBorrowAssets, s.totalSupplyAssets);
            uint256 scaled = uint256(s.totalBorrowAssets) * rate * (block.timestamp - s.lastAccrual) + s.interestRemainder;
            interest = scaled / WAD;
            reserve = interest * rf / 10_000;
            x.interestRemainder = s.totalBorrowAssets == 0 ? 0 : uint64(scaled % WAD);
            x.lastAccrual = uint40(block.timestamp);
            x.totalBorrowAssets += uint128(interest);
            x.totalSupplyAssets += uint128(interest - reserve);
            x.insuranceFund += uint128(reserve);
        }
        // Supply shares minted on the accrued state, rounded down.
        x.totalSupplyShares += uint128(
            Math.mulDiv(supplied, uint256(x.totalSupplyShares) + VIRTUAL_SHARES, uint256(x.totalSupplyAssets) + 1)
        );
        x.totalSupplyAssets += uint128(supplied);
        x.insuranceFund += uint128(funded);
    }

    /// @dev Warps `dt`, runs `op`, and checks the market moved by exactly the formula's interest and reserve.
    function _accrueAndCheck(RateModel memory m, uint256 rf, uint256 dt, uint256 op) internal {
        MarketState memory s = _state();
        vm.warp(block.timestamp + dt);
        uint256 supplied = op % 3 == 1 ? 1_000e6 : 0; // supply accrues first, then adds exactly its assets
        uint256 funded = op % 3 == 2 ? 1 : 0; // fundInsurance accrues first, then adds to the fund
        // (A fresh copy of the state: `_predict` writes the accrued figures into the struct it is given.)
        (MarketState memory x, uint256 interest, uint256 reserve) = _predict(m, rf, _state(), supplied, funded);

        MarketState memory expected = lens.expectedMarketState(marketId);
        usdc.mint(address(this), supplied + funded);
        usdc.approve(address(engine), supplied + funded);
        // The operation's MarketStateUpdated carries the accrued totals and the new remainder.
        vm.expectEmit(true, true, true, true, address(engine));
        emit IIsomarginEngine.MarketStateUpdated(
            marketId,
            x.totalSupplyAssets,
            x.totalSupplyShares,
            x.totalBorrowAssets,
            x.totalBorrowShares,
            x.insuranceFund,
            x.lastAccrual,
            x.interestRemainder
        );
        if (op % 3 == 0) engine.accrueInterest(marketId);
        else if (op % 3 == 1) engine.supply(marketId, supplied, LENDER);
        else engine.fundInsurance(marketId, funded);
        MarketState memory a = _state();
        vm.assertEq(a.totalBorrowAssets, s.totalBorrowAssets + interest, "borrow side");
        vm.assertEq(a.totalSupplyAssets, s.totalSupplyAssets + interest - reserve + supplied, "supply side");
        vm.assertEq(a.insuranceFund, s.insuranceFund + reserve + funded, "reserve to insurance");
        vm.assertEq(
            uint256(a.totalSupplyAssets) + a.insuranceFund,
            uint256(s.totalSupplyAssets) + s.insuranceFund + interest + supplied + funded,
            "lenders + insurance gain exactly the interest"
        );
        vm.assertEq(a.totalBorrowShares, s.totalBorrowShares, "debt shares moved");
        // The accrual always moves to now; what rounded away below one unit is carried, not the elapsed time.
        vm.assertEq(a.lastAccrual, block.timestamp, "lastAccrual");
        vm.assertEq(a.interestRemainder, x.interestRemainder, "interestRemainder");
        vm.assertLt(a.interestRemainder, WAD);
        // The view predicted the same state before the operation.
        vm.assertEq(expected.totalBorrowAssets, s.totalBorrowAssets + interest);
        vm.assertEq(expected.insuranceFund, s.insuranceFund + reserve);
        vm.assertEq(expected.interestRemainder, x.interestRemainder);
    }

    function testFuzz_accrualMatchesLinearFormula(uint256 seed, uint256 supplied, uint256 borrowed, uint256 dt) public {
        (RateModel memory m, uint256 rf) = _setRandomModel(seed);
        supplied = _bound(supplied, 1_000e6, 1e15);
        borrowed = _bound(borrowed, 100e6, supplied);
        _supply(LENDER, supplied);
        _open(BORROWER, 1_000_000e18, borrowed); // $2B of collateral carries any debt here
        _accrueAndCheck(m, rf, _bound(dt, 0, 5 * YEAR), 0);
    }

    /// @dev Several accruals in a row, each triggered by a different operation, each matching the formula on the
    /// state the previous one left (so utilization, and the rate, follow the accrued totals).
    function testFuzz_consecutiveAccrualsEachMatchFormula(uint256 seed, uint256 supplied, uint256 borrowed, uint256 dts)
        public
    {
        (RateModel memory m, uint256 rf) = _setRandomModel(seed);
        supplied = _bound(supplied, 1_000e6, 1e15);
        borrowed = _bound(borrowed, 100e6, supplied);
        _supply(LENDER, supplied);
        _open(BORROWER, 1_000_000e18, borrowed);
        for (uint256 i; i < 4; ++i) {
            _accrueAndCheck(m, rf, _bound(uint64(dts >> (64 * i)), 0, 120 days), uint256(keccak256(abi.encode(dts, i))));
        }
    }

    /// @dev At utilization exactly at the kink the engine charges base + slope1 (both pieces agree there).
    function testFuzz_rateAtKinkThroughEngine(uint256 seed, uint256 supplied, uint256 dt) public {
        (RateModel memory m, uint256 rf) = _setRandomModel(seed);
        // A kink on a 1e-14 grid and a supply in multiples of 1e14 make kink x supply / 1e18 an exact borrow.
        m.kink = uint64(_bound(m.kink / 1e4, 1e12, 1e14 - 1) * 1e4);
        _setModel(m, rf);
        supplied = _bound(supplied, 1, 10) * 1e14;
        uint256 borrowed = supplied * m.kink / WAD;
        vm.assertEq(borrowed * WAD / supplied, m.kink, "utilization not at the kink");
        _supply(LENDER, supplied);
        _open(BORROWER, 1_000_000e18, borrowed);

        dt = _bound(dt, 1, YEAR);
        vm.warp(block.timestamp + dt);
        uint256 rate = uint256(m.baseRatePerSecond) + m.slope1PerSecond;
        uint256 interest = Math.mulDiv(borrowed, rate * dt, WAD);
        uint256 reserve = interest * rf / 10_000;
        vm.expectEmit(true, true, true, true, address(engine));
        emit IIsomarginEngine.MarketStateUpdated(
            marketId,
            uint128(supplied + interest - reserve),
            uint128(supplied * VIRTUAL_SHARES),
            uint128(borrowed + interest),
            _state().totalBorrowShares,
            uint128(reserve),
            uint64(block.timestamp),
            uint64(borrowed * rate * dt % WAD)
        );
        engine.accrueInterest(marketId);
        vm.assertEq(_state().totalBorrowAssets, borrowed + interest);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm} from "../utils/Vm.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {MathHarness} from "./MathHarness.sol";
import {MarketState} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";

/// @notice BaseTest plus what the engine-level fuzz and adversarial tests share: the math harness, the default
/// market's tier arrays, price/value helpers and an accounting check.
abstract contract FuzzBase is BaseTest {
    uint256 internal constant VIRTUAL_SHARES = 1e6;
    address internal constant OTHER = address(0x07E4);

    MathHarness internal h;

    function setUp() public virtual override {
        super.setUp();
        h = new MathHarness();
        vm.label(address(h), "harness");
    }

    /// @dev Thresholds and margins of the default market (BaseTest.defaultTiers), `initial` picks IM over MM.
    function _defaultMargins(bool initial) internal pure returns (uint256[] memory mins, uint256[] memory bps) {
        mins = new uint256[](3);
        bps = new uint256[](3);
        (mins[1], mins[2]) = (1_000_000e6, 10_000_000e6);
        (bps[0], bps[1], bps[2]) = initial ? (2_000, 2_500, 3_500) : (1_000, 1_500, 2_500);
    }

    /// @dev Scaled price of the default market at `answer` (8-dec feed, 6-dec loan, 18-dec collateral).
    function _scaled(uint256 answer) internal pure returns (uint256) {
        return answer * 1e16;
    }

    /// @dev Collateral value in loan units, rounded down.
    function _valueOf(uint256 collateral, uint256 scaledPrice) internal pure returns (uint256) {
        return Math.mulDiv(collateral, scaledPrice, 1e36);
    }

    function _imMaxDebt(uint256 value) internal view returns (uint256) {
        (uint256[] memory mins, uint256[] memory bps) = _defaultMargins(true);
        return h.maxDebt(value, mins, bps);
    }

    function _mmMaxDebt(uint256 value) internal view returns (uint256) {
        (uint256[] memory mins, uint256[] memory bps) = _defaultMargins(false);
        return h.maxDebt(value, mins, bps);
    }

    /// @dev Debt of `shares` under state `s`, rounded up (the engine's definition, restated).
    function _debtOf(uint256 shares, MarketState memory s) internal pure returns (uint256) {
        return Math.mulDiv(
            shares, uint256(s.totalBorrowAssets) + 1, uint256(s.totalBorrowShares) + VIRTUAL_SHARES, Math.Rounding.Ceil
        );
    }

    /// @dev Opens a vault for `who` with `collateral` WETH and no debt.
    function _openEmpty(address who, uint256 collateral) internal returns (uint256) {
        return _open(who, collateral, 0);
    }

    function _borrow(address who, uint256 vaultId, uint256 assets) internal {
        vm.prank(who);
        engine.borrow(vaultId, assets, who);
    }

    /// @dev Loan tokens held by the engine cover the lenders' liquidity plus the insurance fund. Equality holds
    /// except that a repayment of debt rounded above totalBorrowAssets leaves a surplus, bounded by `slack`.
    function _assertLoanAccounting(uint256 mId, MockERC20 loan, uint256 slack) internal view {
        MarketState memory s = engine.marketState(mId);
        uint256 book = uint256(s.totalSupplyAssets) + s.insuranceFund - s.totalBorrowAssets;
        uint256 held = loan.balanceOf(address(engine));
        vm.assertGe(held, book, "engine holds fewer loan tokens than its books");
        vm.assertLe(held - book, slack, "loan token surplus above rounding slack");
    }

    /// @dev Collateral held by the engine equals the sum of the collateral of `vaultIds`.
    function _assertCollateralAccounting(MockERC20 coll, uint256[] memory vaultIds) internal view {
        uint256 sum;
        for (uint256 i; i < vaultIds.length; ++i) {
            sum += engine.vault(vaultIds[i]).collateral;
        }
        vm.assertEq(coll.balanceOf(address(engine)), sum, "collateral held != sum of vault collateral");
    }

    /// @dev A market with real history: random supply, another borrower's debt, and up to two years of interest,
    /// so neither share price is the initial 1:1e6. Returns the other borrower's vault.
    function _busyMarket(uint256 seed) internal returns (uint256 otherVault) {
        uint256 supplied = _bound(seed, 10_000e6, 50_000_000e6);
        _supply(LENDER, supplied);
        uint256 borrowed = _bound(seed >> 64, 100e6, supplied * 8 / 10);
        otherVault = _open(OTHER, 100_000e18, borrowed);
        vm.warp(block.timestamp + _bound(seed >> 128, 0, 2 * YEAR));
        _setPrice(INITIAL_PRICE);
        engine.accrueInterest(marketId);
    }
}

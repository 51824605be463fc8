// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {IsomarginEngine} from "../../src/IsomarginEngine.sol";
import {
    IIsomarginEngine, MarketParams, MarketState, RateModel, RiskUpdate, Vault
} from "../../src/interfaces/IIsomarginEngine.sol";
import {ILiquidationCallback} from "../../src/interfaces/ILiquidationCallback.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice Shared helpers of the unit tests, on top of BaseTest's fixture (USDC 6 dec / WETH 18 dec / 8-dec feed at
/// $2,000; tiers 20/10% IM/MM below $1M, 25/15% to $10M, 35/25% above; bonus 5%, protocol fee 20% of the bonus, close
/// factor 50%, minDebt 100 USDC, reserve factor 10%, max oracle age 1 hour).
abstract contract UnitBase is BaseTest {
    address internal constant ALICE = address(0xA1);
    address internal constant BOB = address(0xB2);
    address internal constant CAROL = address(0xC3);
    address internal constant STRANGER = address(0x5757);

    /// @dev Oracle answer x priceScale (1e16 for 6/18/8 decimals) at $2,000.
    uint256 internal constant PRICE_2000 = 2_000e8 * 1e16;
    /// @dev A simple rate model: a flat 1e9 WAD per second (about 3.15% a year) at any utilization.
    uint64 internal constant FLAT_RATE = 1e9;

    /* TOKEN HELPERS */

    function _mintApprove(MockERC20 token, address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(engine), type(uint256).max);
    }

    function _repay(address payer, uint256 vaultId, uint256 amount) internal returns (uint256 assets, uint256 shares) {
        _mintApprove(usdc, payer, amount == type(uint256).max ? lens.debtOf(vaultId) : amount);
        vm.prank(payer);
        return engine.repay(vaultId, amount);
    }

    function _deposit(address who, uint256 vaultId, uint256 amount) internal {
        _mintApprove(weth, who, amount);
        vm.prank(who);
        engine.depositCollateral(vaultId, amount);
    }

    /* ADMIN HELPERS */

    /// @dev Replaces the default rate model with a flat per-second rate, so interest over `elapsed` seconds is
    /// `totalBorrow x ratePerSecond x elapsed / 1e18` (rounded down) whatever the utilization.
    /// A tightening change waits out the timelock (see `_changeRisk`): call it before any debt exists when the
    /// test counts interest.
    function _setRate(uint64 ratePerSecond, uint16 reserveFactorBps) internal {
        RiskUpdate memory u = _riskOf(marketId);
        u.rateModel = _flat(ratePerSecond);
        u.reserveFactorBps = reserveFactorBps;
        _changeRisk(marketId, u);
    }

    function _flat(uint64 ratePerSecond) internal pure returns (RateModel memory) {
        return RateModel({baseRatePerSecond: ratePerSecond, slope1PerSecond: 0, slope2PerSecond: 0, kink: 0.8e18});
    }

    function _pause(bool paused) internal {
        vm.prank(GUARDIAN);
        engine.setPaused(marketId, paused);
    }

    /// @dev A second market on the same tokens with its own feed at `answer`.
    function _secondMarket(int256 answer) internal returns (uint256 id, MockAggregator feed) {
        feed = new MockAggregator(OWNER, 8, "ETH / USD 2", answer);
        vm.prank(OWNER);
        id = engine.createMarket(defaultParams(address(usdc), address(weth), address(feed)));
    }

    /// @dev A USDC market on `collateral` with its own feed at the initial price, 1,000,000 USDC supplied by LENDER.
    function _seededMarket(address collateral) internal returns (uint256 m, MockAggregator feed) {
        feed = new MockAggregator(OWNER, 8, "X / USD", INITIAL_PRICE);
        vm.prank(OWNER);
        m = engine.createMarket(defaultParams(address(usdc), collateral, address(feed)));
        usdc.mint(LENDER, 1_000_000e6);
        vm.startPrank(LENDER);
        usdc.approve(address(engine), type(uint256).max);
        engine.supply(m, 1_000_000e6, LENDER);
        vm.stopPrank();
    }

    /* STATE HELPERS */

    function _assertState(
        uint256 supplyAssets,
        uint256 supplyShares,
        uint256 borrowAssets,
        uint256 borrowShares,
        uint256 insurance
    ) internal view {
        MarketState memory s = _state();
        vm.assertEq(s.totalSupplyAssets, supplyAssets, "totalSupplyAssets");
        vm.assertEq(s.totalSupplyShares, supplyShares, "totalSupplyShares");
        vm.assertEq(s.totalBorrowAssets, borrowAssets, "totalBorrowAssets");
        vm.assertEq(s.totalBorrowShares, borrowShares, "totalBorrowShares");
        vm.assertEq(s.insuranceFund, insurance, "insuranceFund");
    }

    function _assertVault(uint256 vaultId, uint256 collateral, uint256 debtShares) internal view {
        Vault memory v = _vault(vaultId);
        vm.assertEq(v.collateral, collateral, "vault collateral");
        vm.assertEq(v.debtShares, debtShares, "vault debtShares");
    }

    function _ids(uint256 a) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = a;
    }
}

/// @notice A capital-free liquidator: it holds no loan tokens; in the callback it checks the collateral already
/// arrived, "sells" it (burns it to a sink and mints the loan tokens owed) and approves the engine.
contract CallbackLiquidator is ILiquidationCallback {
    IsomarginEngine internal immutable engine;
    MockERC20 internal immutable loan;
    MockERC20 internal immutable coll;

    uint256 public calls;
    uint256 public lastMarketId;
    uint256 public lastSeized;
    uint256 public lastOwed;
    bytes public lastData;
    /// @dev Collateral and loan balances seen inside the callback, before paying.
    uint256 public collateralSeenInCallback;
    uint256 public loanSeenInCallback;
    /// @dev 0: pay in full; 1: pay one unit short; 2: re-enter the engine.
    uint256 public mode;

    constructor(IsomarginEngine engine_, MockERC20 loan_, MockERC20 coll_) {
        (engine, loan, coll) = (engine_, loan_, coll_);
    }

    function setMode(uint256 mode_) external {
        mode = mode_;
    }

    function liquidate(uint256 vaultId, uint256 maxRepay, bytes calldata data) external returns (uint256, uint256) {
        return engine.liquidate(vaultId, maxRepay, 0, address(this), data);
    }

    function liquidateBatch(uint256 marketId, uint256[] calldata ids, bytes calldata data)
        external
        returns (uint256, uint256, uint256, uint256)
    {
        return engine.liquidateBatch(marketId, ids, address(this), data);
    }

    function onIsomarginLiquidation(uint256 marketId, uint256 seized, uint256 owed, bytes calldata data) external {
        require(msg.sender == address(engine), "not engine");
        ++calls;
        (lastMarketId, lastSeized, lastOwed, lastData) = (marketId, seized, owed, data);
        collateralSeenInCallback = coll.balanceOf(address(this));
        loanSeenInCallback = loan.balanceOf(address(this));
        if (mode == 2) engine.accrueInterest(marketId); // any nonReentrant entry point
        // "Sell" the collateral: send it away and receive exactly what is owed (or one unit less).
        coll.transfer(address(0xdead), seized);
        loan.mint(address(this), mode == 1 ? owed - 1 : owed);
        loan.approve(address(engine), owed);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {UnitBase} from "./UnitBase.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {
    IIsomarginEngine,
    MarketParams,
    MarketConfig,
    RiskParams,
    RiskUpdate,
    MarketState,
    Tier,
    TierState,
    RateModel
} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice Owner and guardian entry points: market creation and its validation, every risk-parameter setter and its
/// bounds, the margin ramp, guardian/pause and two-step ownership.
contract AdminTest is UnitBase {
    /* HELPERS */

    function _params() internal view returns (MarketParams memory) {
        return defaultParams(address(usdc), address(weth), address(oracle));
    }

    function _createReverts(MarketParams memory p, bytes memory err) internal {
        vm.prank(OWNER);
        vm.expectRevert(err);
        engine.createMarket(p);
    }

    function _createReverts(MarketParams memory p, bytes4 err) internal {
        _createReverts(p, abi.encodeWithSelector(err));
    }

    function _u16(uint16 a, uint16 b, uint16 c) internal pure returns (uint16[] memory r) {
        r = new uint16[](3);
        (r[0], r[1], r[2]) = (a, b, c);
    }

    /// @dev Default IMs with tier 0's MM set to `mm0` (others at their defaults).
    function _setTier0Mm(uint16 mm0, uint32 ramp) internal {
        vm.prank(OWNER);
        engine.setMarginTiers(marketId, _u16(2_000, 2_500, 3_500), _u16(mm0, 1_500, 2_500), ramp);
    }

    /// @dev A vault of 10 WETH ($20,000) with 10,000 USDC of debt and no interest, for reading effective MM via health.
    function _healthVault() internal returns (uint256 id) {
        _setRate(0, 0);
        _supply(LENDER, 100_000e6);
        id = _open(BORROWER, 10e18, 10_000e6);
    }

    function _unauthorized(address who) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, who);
    }

    /* CONSTRUCTOR AND CREATE MARKET */

    function test_constructor_setsOwnerAndGuardian() public view {
        vm.assertEq(engine.owner(), OWNER);
        vm.assertEq(engine.guardian(), GUARDIAN);
        vm.assertEq(engine.pendingOwner(), address(0));
    }

    function test_createMarket_storesConfigRiskTiersAndState() public view {
        vm.assertEq(engine.marketCount(), 1);
        MarketConfig memory c = engine.marketConfig(marketId);
        vm.assertEq(c.loanToken, address(usdc));
        vm.assertEq(c.collateralToken, address(weth));
        vm.assertEq(c.oracle, address(oracle));
        vm.assertEq(c.loanDecimals, 6);
        vm.assertEq(c.collateralDecimals, 18);
        vm.assertEq(c.oracleDecimals, 8);
        vm.assertEq(c.priceScale, 1e16); // 10^(36 + 6 - 18 - 8)
        vm.assertEq(c.tierCount, 3);

        RiskParams memory r = engine.riskParams(marketId);
        vm.assertEq(r.maxOracleAge, 1 hours);
        vm.assertEq(r.liquidationBonusBps, 500);
        vm.assertEq(r.protocolFeeBps, 2_000);
        vm.assertEq(r.closeFactorBps, 5_000);
        vm.assertEq(r.reserveFactorBps, 1_000);
        vm.assertEq(r.minDebt, 100e6);
        vm.assertEq(r.supplyCap, type(uint128).max);
        vm.assertEq(r.borrowCap, type(uint128).max);
        vm.assertEq(r.rateModel.kink, 0.8e18);

        TierState memory t = engine.tier(marketId, 1);
        vm.assertEq(t.rampStart, 0);
        vm.assertEq(t.rampEnd, 0);
        vm.assertEq(t.minValue, 1_000_000e6);
        vm.assertEq(t.imBps, 2_500);
        vm.assertEq(t.mmFromBps, 1_500);
        vm.assertEq(t.mmToBps, 1_500);

        MarketState memory s = _state();
        vm.assertEq(s.lastAccrual, block.timestamp);
        vm.assertEq(s.totalSupplyAssets, 0);
        vm.assertFalse(s.paused);
    }

    function test_createMarket_assignsIncreasingIds() public {
        (uint256 id2,) = _secondMarket(INITIAL_PRICE);
        vm.assertEq(id2, 2);
        vm.assertEq(engine.marketCount(), 2);
    }

    function test_createMarket_revertsForNonOwner() public {
        MarketParams memory p = _params();
        vm.prank(STRANGER);
        vm.expectRevert(_unauthorized(STRANGER));
        engine.createMarket(p);
    }

    function test_createMarket_revertsOnZeroLoanToken() public {
        MarketParams memory p = _params();
        p.loanToken = address(0);
        _createReverts(p, IIsomarginEngine.ZeroAddress.selector);
    }

    function test_createMarket_revertsOnZeroCollateralToken() public {
        MarketParams memory p = _params();
        p.collateralToken = address(0);
        _createReverts(p, IIsomarginEngine.ZeroAddress.selector);
    }

    function test_createMarket_revertsOnZeroOracle() public {
        MarketParams memory p = _params();
        p.oracle = address(0);
        _createReverts(p, IIsomarginEngine.ZeroAddress.selector);
    }

    function test_createMarket_revertsOnSameTokens() public {
        MarketParams memory p = _params();
        p.collateralToken = address(usdc);
        _createReverts(p, IIsomarginEngine.SameTokens.selector);
    }

    function test_createMarket_revertsOnNoTiers() public {
        MarketParams memory p = _params();
        p.tiers = new Tier[](0);
        _createReverts(p, IIsomarginEngine.InvalidTierCount.selector);
    }

    function test_createMarket_revertsOnTooManyTiers() public {
        MarketParams memory p = _params();
        p.tiers = new Tier[](5);
        for (uint256 i; i < 5; ++i) {
            p.tiers[i] = Tier({minValue: uint128(i * 1e12), imBps: 2_000, mmBps: 1_000});
        }
        _createReverts(p, IIsomarginEngine.InvalidTierCount.selector);
        // Four (MAX_TIERS) is accepted.
        Tier[] memory four = new Tier[](4);
        for (uint256 i; i < 4; ++i) {
            four[i] = p.tiers[i];
        }
        p.tiers = four;
        vm.prank(OWNER);
        uint256 id = engine.createMarket(p);
        vm.assertEq(engine.marketConfig(id).tierCount, 4);
    }

    function test_createMarket_revertsWhenFirstTierDoesNotStartAtZero() public {
        MarketParams memory p = _params();
        p.tiers[0].minValue = 1;
        _createReverts(p, IIsomarginEngine.InvalidTierThresholds.selector);
    }

    function test_createMarket_revertsOnNonIncreasingThresholds() public {
        MarketParams memory p = _params();
        p.tiers[2].minValue = p.tiers[1].minValue; // equal is not increasing
        _createReverts(p, IIsomarginEngine.InvalidTierThresholds.selector);
        p.tiers[2].minValue = p.tiers[1].minValue - 1;
        _createReverts(p, IIsomarginEngine.InvalidTierThresholds.selector);
    }

    function test_createMarket_revertsOnMmBelowMinimum() public {
        MarketParams memory p = _params();
        p.liquidationBonusBps = 40;
        p.tiers[0].mmBps = 49;
        _createReverts(p, IIsomarginEngine.InvalidMargins.selector);
        p.tiers[0].mmBps = 50; // MIN_MARGIN_BPS is accepted
        vm.prank(OWNER);
        engine.createMarket(p);
    }

    function test_createMarket_revertsWhenImNotAboveMm() public {
        MarketParams memory p = _params();
        p.tiers[1].imBps = p.tiers[1].mmBps;
        _createReverts(p, IIsomarginEngine.InvalidMargins.selector);
    }

    function test_createMarket_revertsOnImAboveMaximum() public {
        MarketParams memory p = _params();
        p.tiers[2].imBps = 9_001;
        _createReverts(p, IIsomarginEngine.InvalidMargins.selector);
        p.tiers[2].imBps = 9_000; // MAX_MARGIN_BPS is accepted
        vm.prank(OWNER);
        engine.createMarket(p);
    }

    function test_createMarket_revertsWhenMmFallsAcrossTiers() public {
        MarketParams memory p = _params();
        p.tiers[2].mmBps = 1_499; // below tier 1's 1,500 (IM stays increasing)
        _createReverts(p, IIsomarginEngine.InvalidMargins.selector);
    }

    function test_createMarket_revertsWhenImFallsAcrossTiers() public {
        MarketParams memory p = _params();
        p.tiers[1].imBps = 1_999; // below tier 0's 2,000, still above its own MM 1,500
        _createReverts(p, IIsomarginEngine.InvalidMargins.selector);
    }

    function test_createMarket_revertsOnInvalidLiquidationBonus() public {
        MarketParams memory p = _params();
        p.liquidationBonusBps = 0;
        _createReverts(p, IIsomarginEngine.InvalidLiquidationBonus.selector);
        p.liquidationBonusBps = 1_000; // equal to the smallest MM (tier 0)
        _createReverts(p, IIsomarginEngine.InvalidLiquidationBonus.selector);
        // Above MAX_LIQUIDATION_BONUS_BPS even though below the smallest MM.
        p.tiers[0].mmBps = 2_500;
        p.tiers[0].imBps = 3_000;
        p.tiers[1].imBps = 3_000;
        p.tiers[1].mmBps = 2_500;
        p.tiers[2].mmBps = 2_500;
        p.liquidationBonusBps = 2_001;
        _createReverts(p, IIsomarginEngine.InvalidLiquidationBonus.selector);
        p.liquidationBonusBps = 2_000;
        vm.prank(OWNER);
        engine.createMarket(p);
    }

    function test_createMarket_revertsOnInvalidProtocolFee() public {
        MarketParams memory p = _params();
        p.protocolFeeBps = 5_001;
        _createReverts(p, IIsomarginEngine.InvalidProtocolFee.selector);
    }

    function test_createMarket_revertsOnInvalidCloseFactor() public {
        MarketParams memory p = _params();
        p.closeFactorBps = 999;
        _createReverts(p, IIsomarginEngine.InvalidCloseFactor.selector);
        p.closeFactorBps = 10_001;
        _createReverts(p, IIsomarginEngine.InvalidCloseFactor.selector);
    }

    function test_createMarket_revertsOnInvalidRateModel() public {
        MarketParams memory p = _params();
        p.rateModel.kink = 1e18;
        _createReverts(p, IIsomarginEngine.InvalidRateModel.selector);
        p = _params();
        uint256 maxRate = uint256(10e18) / 365 days;
        p.rateModel = RateModel({
            baseRatePerSecond: uint64(maxRate / 2),
            slope1PerSecond: uint64(maxRate / 2),
            slope2PerSecond: uint64(maxRate - 2 * (maxRate / 2) + 1),
            kink: 0.5e18
        });
        _createReverts(p, IIsomarginEngine.InvalidRateModel.selector);
        p.rateModel.slope2PerSecond -= 1; // exactly MAX_RATE_PER_SECOND
        vm.prank(OWNER);
        engine.createMarket(p);
    }

    function test_createMarket_revertsOnInvalidReserveFactor() public {
        MarketParams memory p = _params();
        p.reserveFactorBps = 5_001;
        _createReverts(p, IIsomarginEngine.InvalidReserveFactor.selector);
    }

    function test_createMarket_revertsOnInvalidOracleAge() public {
        MarketParams memory p = _params();
        p.maxOracleAge = 59;
        _createReverts(p, IIsomarginEngine.InvalidOracleAge.selector);
        p.maxOracleAge = 3 days + 1;
        _createReverts(p, IIsomarginEngine.InvalidOracleAge.selector);
    }

    /// @dev Creates a market on fresh tokens of the given decimals and returns its price scale.
    function _scaleFor(uint8 loanDec, uint8 collDec, uint8 feedDec) internal returns (uint256) {
        MockERC20 l = new MockERC20("L", "L", loanDec);
        MockERC20 c = new MockERC20("C", "C", collDec);
        MockAggregator f = new MockAggregator(OWNER, feedDec, "F", 1);
        vm.prank(OWNER);
        uint256 id = engine.createMarket(defaultParams(address(l), address(c), address(f)));
        return engine.marketConfig(id).priceScale;
    }

    function test_createMarket_priceScaleForDecimalCombinations() public {
        vm.assertEq(_scaleFor(18, 6, 8), 1e40);
        vm.assertEq(_scaleFor(6, 6, 8), 1e28);
        vm.assertEq(_scaleFor(0, 36, 0), 1); // exponent 0, lowest accepted
        vm.assertEq(_scaleFor(12, 0, 0), 1e48); // exponent 48, highest accepted
        vm.assertEq(_scaleFor(0, 18, 18), 1);
    }

    function test_createMarket_revertsOnUnsupportedDecimalsCombination() public {
        // Exponent 36 + 0 - 36 - 1 < 0: the scale would not be an integer.
        MockERC20 l = new MockERC20("L", "L", 0);
        MockERC20 c = new MockERC20("C", "C", 36);
        MockAggregator f = new MockAggregator(OWNER, 1, "F", 1);
        _createReverts(
            defaultParams(address(l), address(c), address(f)), IIsomarginEngine.UnsupportedDecimalsCombination.selector
        );
        // Exponent 36 + 13 - 0 - 0 = 49 > 48: almost no oracle answer would fit under the price bound.
        MockERC20 l13 = new MockERC20("L", "L", 13);
        MockERC20 c0 = new MockERC20("C", "C", 0);
        MockAggregator f0 = new MockAggregator(OWNER, 0, "F", 1);
        _createReverts(
            defaultParams(address(l13), address(c0), address(f0)), IIsomarginEngine.UnsupportedDecimalsCombination.selector
        );
    }

    function test_createMarket_revertsOnUnsupportedTokenDecimals() public {
        MockERC20 bad = new MockERC20("X", "X", 37);
        _createReverts(
            defaultParams(address(bad), address(weth), address(oracle)),
            abi.encodeWithSelector(IIsomarginEngine.UnsupportedDecimals.selector, address(bad), uint8(37))
        );
        _createReverts(
            defaultParams(address(usdc), address(bad), address(oracle)),
            abi.encodeWithSelector(IIsomarginEngine.UnsupportedDecimals.selector, address(bad), uint8(37))
        );
    }

    function test_createMarket_revertsOnUnsupportedFeedDecimals() public {
        MockAggregator f = new MockAggregator(OWNER, 37, "F", 1);
        _createReverts(
            defaultParams(address(usdc), address(weth), address(f)),
            abi.encodeWithSelector(IIsomarginEngine.UnsupportedDecimals.selector, address(f), uint8(37))
        );
    }

    /* SET MARGIN TIERS */

    function test_setMarginTiers_revertsForNonOwner() public {
        vm.prank(STRANGER);
        vm.expectRevert(_unauthorized(STRANGER));
        engine.setMarginTiers(marketId, _u16(2_000, 2_500, 3_500), _u16(1_000, 1_500, 2_500), 1 days);
    }

    function test_setMarginTiers_revertsOnUnknownMarket() public {
        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.MarketNotFound.selector, 7));
        engine.setMarginTiers(7, _u16(2_000, 2_500, 3_500), _u16(1_000, 1_500, 2_500), 1 days);
    }

    function test_setMarginTiers_revertsOnWrongTierCount() public {
        uint16[] memory two = new uint16[](2);
        vm.startPrank(OWNER);
        vm.expectRevert(IIsomarginEngine.InvalidTierCount.selector);
        engine.setMarginTiers(marketId, two, _u16(1_000, 1_500, 2_500), 1 days);
        vm.expectRevert(IIsomarginEngine.InvalidTierCount.selector);
        engine.setMarginTiers(marketId, _u16(2_000, 2_500, 3_500), two, 1 days);
        vm.stopPrank();
    }

    function test_setMarginTiers_revertsOnInvalidRampDuration() public {
        vm.startPrank(OWNER);
        vm.expectRevert(IIsomarginEngine.InvalidRampDuration.selector);
        engine.setMarginTiers(marketId, _u16(2_000, 2_500, 3_500), _u16(1_000, 1_500, 2_500), 1 days - 1);
        vm.expectRevert(IIsomarginEngine.InvalidRampDuration.selector);
        engine.setMarginTiers(marketId, _u16(2_000, 2_500, 3_500), _u16(1_000, 1_500, 2_500), 90 days + 1);
        engine.setMarginTiers(marketId, _u16(2_000, 2_500, 3_500), _u16(1_000, 1_500, 2_500), 90 days);
        vm.stopPrank();
    }

    function test_setMarginTiers_revertsOnInvalidMargins() public {
        vm.startPrank(OWNER);
        vm.expectRevert(IIsomarginEngine.InvalidMargins.selector);
        engine.setMarginTiers(marketId, _u16(1_500, 2_500, 3_500), _u16(1_500, 1_500, 2_500), 1 days); // IM == MM
        vm.expectRevert(IIsomarginEngine.InvalidMargins.selector);
        engine.setMarginTiers(marketId, _u16(2_000, 2_500, 3_500), _u16(1_000, 900, 2_500), 1 days); // MM falls
        vm.stopPrank();
    }

    function test_setMarginTiers_revertsWhenTier0MmNotAboveBonus() public {
        vm.prank(OWNER);
        vm.expectRevert(IIsomarginEngine.InvalidLiquidationBonus.selector);
        engine.setMarginTiers(marketId, _u16(2_000, 2_500, 3_500), _u16(500, 1_500, 2_500), 1 days); // bonus is 500
    }

    function test_setMarginTiers_mmRiseRampsLinearly() public {
        uint256 id = _healthVault();
        vm.assertEq(lens.health(id), 1.8e18); // (20,000 - 10% x 20,000) / 10,000
        uint256 t0 = block.timestamp;
        _setTier0Mm(1_500, 1 days);

        TierState memory t = engine.tier(marketId, 0);
        vm.assertEq(t.mmFromBps, 1_000);
        vm.assertEq(t.mmToBps, 1_500);
        vm.assertEq(t.imBps, 2_000);
        vm.assertEq(t.rampStart, t0);
        vm.assertEq(t.rampEnd, t0 + 1 days);
        vm.assertEq(engine.tier(marketId, 2).rampEnd, t0 + 1 days); // every tier shares the ramp
        vm.assertEq(lens.health(id), 1.8e18); // nothing changes at the start

        // One second in: 1,000 + ceil(500 x 1 / 86,400) = 1,001 bps (rounded up).
        vm.warp(t0 + 1);
        vm.assertEq(lens.health(id), 1.7998e18);

        // A third of the way: 1,000 + ceil(500 x 28,800 / 86,400) = 1,000 + ceil(166.67) = 1,167 bps.
        vm.warp(t0 + 8 hours);
        _setPrice(INITIAL_PRICE);
        vm.assertEq(lens.health(id), 1.7666e18); // (20,000 - 2,334) / 10,000

        // Halfway: exactly 1,250 bps.
        vm.warp(t0 + 12 hours);
        _setPrice(INITIAL_PRICE);
        vm.assertEq(lens.health(id), 1.75e18);

        vm.warp(t0 + 1 days);
        _setPrice(INITIAL_PRICE);
        vm.assertEq(lens.health(id), 1.7e18);
        vm.warp(t0 + 30 days);
        _setPrice(INITIAL_PRICE);
        vm.assertEq(lens.health(id), 1.7e18);
    }

    function test_setMarginTiers_riseDuringRampStartsFromEffectiveValueRoundedDown() public {
        uint256 t0 = block.timestamp;
        _setTier0Mm(1_500, 1 days);
        vm.warp(t0 + 8 hours); // effective 1,166.67: 1,167 in the live requirement, 1,166 as the new start
        _setTier0Mm(1_500, 2 days);
        TierState memory t = engine.tier(marketId, 0);
        vm.assertEq(t.mmFromBps, 1_166);
        vm.assertEq(t.mmToBps, 1_500);
        // Tiers that do not change stay flat.
        vm.assertEq(engine.tier(marketId, 1).mmFromBps, 1_500);
        vm.assertEq(engine.tier(marketId, 0).rampEnd, t0 + 8 hours + 2 days);
    }

    function test_setMarginTiers_mmFallAppliesImmediately() public {
        uint256 id = _healthVault();
        _setTier0Mm(800, 1 days);
        TierState memory t = engine.tier(marketId, 0);
        vm.assertEq(t.mmFromBps, 800);
        vm.assertEq(t.mmToBps, 800);
        vm.assertEq(lens.health(id), 1.84e18); // (20,000 - 1,600) / 10,000 at once
    }

    function test_setMarginTiers_mmFallDuringRampAppliesImmediately() public {
        uint256 id = _healthVault();
        uint256 t0 = block.timestamp;
        _setTier0Mm(1_500, 1 days);
        vm.warp(t0 + 12 hours);
        _setPrice(INITIAL_PRICE);
        _setTier0Mm(1_200, 1 days); // below the effective 1,250
        vm.assertEq(engine.tier(marketId, 0).mmFromBps, 1_200);
        vm.assertEq(lens.health(id), 1.76e18);
    }

    function test_setMarginTiers_imChangeAppliesImmediately() public {
        uint256 id = _healthVault(); // 10 WETH, 10,000 debt
        vm.prank(OWNER);
        engine.setMarginTiers(marketId, _u16(3_000, 3_000, 3_500), _u16(1_000, 1_500, 2_500), 1 days);
        vm.assertEq(engine.tier(marketId, 0).imBps, 3_000);
        // maxDebt = 20,000 - 30% = 14,000: 4,000 more is the most that can be borrowed right away.
        vm.startPrank(BORROWER);
        vm.expectRevert(
            abi.encodeWithSelector(IIsomarginEngine.InsufficientMargin.selector, id, 14_000e6 + 1, 14_000e6)
        );
        engine.borrow(id, 4_000e6 + 1, BORROWER);
        engine.borrow(id, 4_000e6, BORROWER);
        vm.stopPrank();
        vm.assertEq(lens.debtOf(id), 14_000e6);
    }

    /* SET RISK PARAMS: LIQUIDATION FIELDS */

    /// @dev `_riskOf(marketId)` with the four liquidation fields replaced.
    function _liq(uint16 bonus, uint16 fee, uint16 closeFactor, uint128 minDebt) internal view returns (RiskUpdate memory u) {
        u = _riskOf(marketId);
        (u.liquidationBonusBps, u.protocolFeeBps, u.closeFactorBps, u.minDebt) = (bonus, fee, closeFactor, minDebt);
    }

    function _setRiskReverts(uint256 id, RiskUpdate memory u, bytes memory err) internal {
        vm.prank(OWNER);
        vm.expectRevert(err);
        engine.setRiskParams(id, u);
    }

    function test_setRiskParams_storesLiquidationFields() public {
        _changeRisk(marketId, _liq(900, 5_000, 10_000, 1e6)); // bonus, fee and close factor rise: timelocked
        RiskParams memory r = engine.riskParams(marketId);
        vm.assertEq(r.liquidationBonusBps, 900);
        vm.assertEq(r.protocolFeeBps, 5_000);
        vm.assertEq(r.closeFactorBps, 10_000);
        vm.assertEq(r.minDebt, 1e6);
    }

    function test_setRiskParams_revertsOnLiquidationFieldsOutOfBounds() public {
        bytes memory bonus = abi.encodeWithSelector(IIsomarginEngine.InvalidLiquidationBonus.selector);
        bytes memory closeFactor = abi.encodeWithSelector(IIsomarginEngine.InvalidCloseFactor.selector);
        _setRiskReverts(marketId, _liq(0, 2_000, 5_000, 100e6), bonus);
        _setRiskReverts(marketId, _liq(1_000, 2_000, 5_000, 100e6), bonus); // == tier 0 MM
        _setRiskReverts(
            marketId, _liq(500, 5_001, 5_000, 100e6), abi.encodeWithSelector(IIsomarginEngine.InvalidProtocolFee.selector)
        );
        _setRiskReverts(marketId, _liq(500, 2_000, 999, 100e6), closeFactor);
        _setRiskReverts(marketId, _liq(500, 2_000, 10_001, 100e6), closeFactor);
        // Lower bounds are accepted (and, all being loosening, apply at once).
        RiskUpdate memory low = _liq(1, 0, 1_000, 0);
        vm.prank(OWNER);
        vm.assertEq(engine.setRiskParams(marketId, low), block.timestamp);
        vm.assertEq(engine.riskParams(marketId).liquidationBonusBps, 1);
    }

    function test_setRiskParams_revertsForNonOwnerAndUnknownMarket() public {
        RiskUpdate memory u = _riskOf(marketId);
        vm.prank(GUARDIAN);
        vm.expectRevert(_unauthorized(GUARDIAN));
        engine.setRiskParams(marketId, u);
        _setRiskReverts(2, u, abi.encodeWithSelector(IIsomarginEngine.MarketNotFound.selector, 2));
    }

    /* SET RISK PARAMS: INTEREST FIELDS */

    /// @dev A rate rise waits out the timelock; executing it accrues the elapsed time at the OLD model first.
    function test_setRiskParams_rateChangeAccruesAtOldRateFirst() public {
        _supply(LENDER, 100_000e6);
        _open(BORROWER, 10e18, 10_000e6);
        RiskUpdate memory u = _riskOf(marketId);
        (u.rateModel, u.reserveFactorBps) = (_flat(FLAT_RATE), 0);
        vm.prank(OWNER);
        uint64 at = engine.setRiskParams(marketId, u); // the flat rate is above today's base: pending
        vm.assertEq(at, block.timestamp + 1 days);
        vm.warp(at);
        _setPrice(INITIAL_PRICE);
        engine.executeRiskParams(marketId);
        // Default model at 10% utilization: 317,097,919 + 1,268,391,679 x 0.1 / 0.8 = 475,646,878 per second;
        // interest = 10,000e6 x 475,646,878 x 86,400 / 1e18 = 410,958, reserve 10% = 41,095.
        _assertState(100_000e6 + 410_958 - 41_095, 100_000e12, 10_000e6 + 410_958, 10_000e12, 41_095);
        vm.assertEq(_state().lastAccrual, block.timestamp);
        RiskParams memory r = engine.riskParams(marketId);
        vm.assertEq(r.rateModel.baseRatePerSecond, FLAT_RATE);
        vm.assertEq(r.rateModel.slope2PerSecond, 0);
        vm.assertEq(r.reserveFactorBps, 0);

        // The first accrual carried 0.902592 of a unit (10,000e6 x 475,646,878 x 86,400 = 410,958.902592e18).
        vm.assertEq(_state().interestRemainder, 0.902592e18);
        // The next day accrues at the new flat rate without reserve: 10,000,410,958 x 1e9 x 86,400 = 864,035.5067712e18,
        // plus the carried 0.902592e18: 864,036 units, 0.4093632e18 carried on.
        vm.warp(block.timestamp + 1 days);
        engine.accrueInterest(marketId);
        _assertState(100_000e6 + 369_863 + 864_036, 100_000e12, 10_000_410_958 + 864_036, 10_000e12, 41_095);
        vm.assertEq(_state().interestRemainder, 0.4093632e18);
    }

    function test_setRiskParams_revertsOnInvalidInterestFields() public {
        RiskUpdate memory u = _riskOf(marketId);
        bytes memory model = abi.encodeWithSelector(IIsomarginEngine.InvalidRateModel.selector);
        u.rateModel = _flat(1);
        u.rateModel.kink = 1e18;
        _setRiskReverts(marketId, u, model);
        u.rateModel = _flat(uint64(uint256(10e18) / 365 days + 1));
        _setRiskReverts(marketId, u, model);
        (u.rateModel, u.reserveFactorBps) = (_flat(1), 5_001);
        _setRiskReverts(marketId, u, abi.encodeWithSelector(IIsomarginEngine.InvalidReserveFactor.selector));
        (u.rateModel, u.reserveFactorBps) = (_flat(uint64(uint256(10e18) / 365 days)), 5_000);
        _changeRisk(marketId, u); // the bounds themselves are accepted
        vm.assertEq(engine.riskParams(marketId).reserveFactorBps, 5_000);
    }

    /* CAPS, ORACLE AGE */

    function test_setCaps_stores() public {
        vm.prank(OWNER);
        engine.setCaps(marketId, 1_000e6, 500e6);
        RiskParams memory r = engine.riskParams(marketId);
        vm.assertEq(r.supplyCap, 1_000e6);
        vm.assertEq(r.borrowCap, 500e6);
    }

    function test_setCaps_revertsForNonOwnerAndUnknownMarket() public {
        vm.prank(STRANGER);
        vm.expectRevert(_unauthorized(STRANGER));
        engine.setCaps(marketId, 1, 1);
        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.MarketNotFound.selector, 3));
        engine.setCaps(3, 1, 1);
    }

    function test_setMaxOracleAge_storesWithinBounds() public {
        RiskUpdate memory u = _riskOf(marketId);
        u.maxOracleAge = 60;
        _changeRisk(marketId, u); // lower: after the timelock too (see EngineV2Test)
        vm.assertEq(engine.riskParams(marketId).maxOracleAge, 60);
        u.maxOracleAge = 3 days;
        _changeRisk(marketId, u); // higher: after the timelock
        vm.assertEq(engine.riskParams(marketId).maxOracleAge, 3 days);
        bytes memory err = abi.encodeWithSelector(IIsomarginEngine.InvalidOracleAge.selector);
        u.maxOracleAge = 59;
        _setRiskReverts(marketId, u, err);
        u.maxOracleAge = 3 days + 1;
        _setRiskReverts(marketId, u, err);
        u.maxOracleAge = 60;
        _setRiskReverts(2, u, abi.encodeWithSelector(IIsomarginEngine.MarketNotFound.selector, 2));
        vm.prank(STRANGER);
        vm.expectRevert(_unauthorized(STRANGER));
        engine.setRiskParams(marketId, u);
    }

    /* GUARDIAN AND PAUSE */

    function test_setGuardian_onlyOwner() public {
        vm.prank(GUARDIAN);
        vm.expectRevert(_unauthorized(GUARDIAN));
        engine.setGuardian(STRANGER);
        vm.prank(OWNER);
        engine.setGuardian(CAROL);
        vm.assertEq(engine.guardian(), CAROL);
    }

    function test_setPaused_byGuardianAndOwner() public {
        vm.prank(GUARDIAN);
        engine.setPaused(marketId, true);
        vm.assertTrue(_state().paused);
        vm.prank(OWNER);
        engine.setPaused(marketId, false);
        vm.assertFalse(_state().paused);
        vm.prank(OWNER);
        engine.setPaused(marketId, true);
        vm.assertTrue(_state().paused);
    }

    function test_setPaused_revertsForOthers() public {
        vm.prank(STRANGER);
        vm.expectRevert(IIsomarginEngine.NotGuardian.selector);
        engine.setPaused(marketId, true);
    }

    function test_setPaused_formerGuardianLosesPower() public {
        vm.prank(OWNER);
        engine.setGuardian(CAROL);
        vm.prank(GUARDIAN);
        vm.expectRevert(IIsomarginEngine.NotGuardian.selector);
        engine.setPaused(marketId, true);
        vm.prank(CAROL);
        engine.setPaused(marketId, true);
        vm.assertTrue(_state().paused);
    }

    function test_setPaused_revertsOnUnknownMarket() public {
        vm.prank(GUARDIAN);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.MarketNotFound.selector, 9));
        engine.setPaused(9, true);
    }

    /* OWNERSHIP (Ownable2Step) */

    function test_transferOwnership_isTwoStep() public {
        vm.prank(OWNER);
        engine.transferOwnership(CAROL);
        vm.assertEq(engine.owner(), OWNER); // not yet
        vm.assertEq(engine.pendingOwner(), CAROL);

        vm.prank(STRANGER);
        vm.expectRevert(_unauthorized(STRANGER));
        engine.acceptOwnership();

        vm.prank(CAROL);
        engine.acceptOwnership();
        vm.assertEq(engine.owner(), CAROL);
        vm.assertEq(engine.pendingOwner(), address(0));

        // The old owner lost its rights, the new one has them.
        vm.prank(OWNER);
        vm.expectRevert(_unauthorized(OWNER));
        engine.setGuardian(STRANGER);
        vm.prank(CAROL);
        engine.setGuardian(STRANGER);
        vm.assertEq(engine.guardian(), STRANGER);
    }

    function test_transferOwnership_revertsForNonOwner() public {
        vm.prank(GUARDIAN);
        vm.expectRevert(_unauthorized(GUARDIAN));
        engine.transferOwnership(GUARDIAN);
    }

    function test_renounceOwnership_onlyOwner() public {
        vm.prank(STRANGER);
        vm.expectRevert(_unauthorized(STRANGER));
        engine.renounceOwnership();
        vm.prank(OWNER);
        engine.renounceOwnership();
        vm.assertEq(engine.owner(), address(0));
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IIsomarginEngine, MarketConfig, RiskParams, MarketState, TierState, Vault} from "./interfaces/IIsomarginEngine.sol";
import {IIsomarginLens} from "./interfaces/IIsomarginLens.sol";
import {ConstantsLib as C} from "./libraries/ConstantsLib.sol";
import {SharesMathLib} from "./libraries/SharesMathLib.sol";
import {MarginLib} from "./libraries/MarginLib.sol";
import {InterestLib} from "./libraries/InterestLib.sol";
import {PriceLib} from "./libraries/PriceLib.sol";

/// @title IsomarginLens
/// @notice Views over an IsomarginEngine, computed from its stored state with the engine's own libraries: the
/// engine keeps only raw getters so that it stays well under EIP-170. See IIsomarginLens for each view.
contract IsomarginLens is IIsomarginLens {
    using SharesMathLib for uint256;

    /// @inheritdoc IIsomarginLens
    IIsomarginEngine public immutable engine;

    constructor(IIsomarginEngine engine_) {
        engine = engine_;
    }

    /// @inheritdoc IIsomarginLens
    function expectedMarketState(uint256 marketId) public view returns (MarketState memory s) {
        s = engine.marketState(marketId);
        // an eth_call may run with a timestamp behind the last accrual (a node whose blocks ran ahead of its clock
        // evaluates "latest" at the wall clock): nothing has accrued since, rather than an underflow panic
        if (block.timestamp <= s.lastAccrual) return s;
        RiskParams memory r = engine.riskParams(marketId);
        InterestLib.accrue(s, r.rateModel, r.reserveFactorBps, block.timestamp);
    }

    /// @inheritdoc IIsomarginLens
    function price(uint256 marketId) public view returns (uint256) {
        MarketConfig memory c = engine.marketConfig(marketId);
        if (c.loanToken == address(0)) revert IIsomarginEngine.MarketNotFound(marketId);
        return PriceLib.scaledPrice(c.oracle, c.priceScale, engine.riskParams(marketId).maxOracleAge);
    }

    /// @inheritdoc IIsomarginLens
    function debtOf(uint256 vaultId) public view returns (uint256) {
        Vault memory v = engine.vault(vaultId);
        if (v.debtShares == 0) return 0;
        MarketState memory s = expectedMarketState(v.marketId);
        return uint256(v.debtShares).toAssetsUp(s.totalBorrowAssets, s.totalBorrowShares);
    }

    /// @inheritdoc IIsomarginLens
    function health(uint256 vaultId) external view returns (uint256) {
        (uint256 debt, uint256 maxDebt_) = _debtAndMaxDebt(vaultId);
        return debt == 0 ? type(uint256).max : Math.mulDiv(maxDebt_, C.WAD, debt);
    }

    /// @inheritdoc IIsomarginLens
    function isLiquidatable(uint256 vaultId) external view returns (bool) {
        (uint256 debt, uint256 maxDebt_) = _debtAndMaxDebt(vaultId);
        return debt > maxDebt_;
    }

    /// @inheritdoc IIsomarginLens
    function liquidatableAmong(uint256[] calldata vaultIds) external view returns (bool[] memory out) {
        out = new bool[](vaultIds.length);
        for (uint256 i; i < vaultIds.length; ++i) {
            (uint256 debt, uint256 maxDebt_) = _debtAndMaxDebt(vaultIds[i]);
            out[i] = debt > maxDebt_;
        }
    }

    /// @inheritdoc IIsomarginLens
    function liquidationPrice(uint256 vaultId) external view returns (uint256) {
        Vault memory v = engine.vault(vaultId);
        uint256 debt = debtOf(vaultId);
        if (debt == 0) return 0;
        if (v.collateral == 0) return type(uint256).max;
        (uint256[] memory minValues, uint256[] memory mm) = _maintenance(v.marketId);
        uint256 valueStar = MarginLib.valueAtMaxDebt(debt, minValues, mm);
        // answer = V* x 1e36 / collateral / priceScale, each division rounded up.
        uint256 scaled = Math.mulDiv(valueStar, C.PRICE_SCALE, v.collateral, Math.Rounding.Ceil);
        return Math.ceilDiv(scaled, engine.marketConfig(v.marketId).priceScale);
    }

    /// @inheritdoc IIsomarginLens
    function collateralToReach(uint256 vaultId, uint256 targetHealth) external view returns (uint256) {
        (uint256 debt, uint256 maxDebt_) = _debtAndMaxDebt(vaultId);
        if (debt == 0 || Math.mulDiv(maxDebt_, C.WAD, debt) >= targetHealth) return 0;
        Vault memory v = engine.vault(vaultId);
        (uint256[] memory minValues, uint256[] memory mm) = _maintenance(v.marketId);
        // The debt capacity the target needs: health = floor(maxDebt x WAD / debt) >= target iff maxDebt >= this.
        // valueAtMaxDebt already inverts the engine's rounded-up tier requirements exactly (the least value whose
        // maxDebt reaches it), so no extra margin: an earlier "+ one unit per tier" here made the guard deposit
        // more than the least collateral reaching the target (about 1.7e9 wei of WETH too many at $1,800).
        uint256 needed = Math.mulDiv(targetHealth, debt, C.WAD, Math.Rounding.Ceil);
        uint256 value = MarginLib.valueAtMaxDebt(needed, minValues, mm);
        uint256 collateral = Math.mulDiv(value, C.PRICE_SCALE, price(v.marketId), Math.Rounding.Ceil);
        return collateral > v.collateral ? collateral - v.collateral : 0;
    }

    /// @inheritdoc IIsomarginLens
    function repayToReach(uint256 vaultId, uint256 targetHealth) external view returns (uint256) {
        (uint256 debt, uint256 maxDebt_) = _debtAndMaxDebt(vaultId);
        if (debt == 0 || Math.mulDiv(maxDebt_, C.WAD, debt) >= targetHealth) return 0;
        // The largest debt at the target, less one unit: a partial repay removes shares rounded down, so the debt
        // left can be one unit above the plain difference.
        // (below `debt`, since the health is below the target)
        uint256 debtAtTarget = Math.mulDiv(maxDebt_, C.WAD, targetHealth);
        return debtAtTarget == 0 ? debt : debt - (debtAtTarget - 1);
    }

    /// @dev Debt (accrued to now, rounded up) and the largest debt the vault may carry at the oracle price.
    function _debtAndMaxDebt(uint256 vaultId) internal view returns (uint256 debt, uint256 maxDebt_) {
        Vault memory v = engine.vault(vaultId);
        if (v.owner == address(0)) revert IIsomarginEngine.VaultNotFound(vaultId);
        debt = debtOf(vaultId);
        if (debt == 0) return (0, 0);
        (uint256[] memory minValues, uint256[] memory mm) = _maintenance(v.marketId);
        uint256 value = Math.mulDiv(v.collateral, price(v.marketId), C.PRICE_SCALE);
        maxDebt_ = MarginLib.maxDebt(value, minValues, mm);
    }

    /// @dev Tier thresholds and effective maintenance margins now, as the engine computes them (ramp rounded up).
    function _maintenance(uint256 marketId) internal view returns (uint256[] memory minValues, uint256[] memory mm) {
        uint256 n = engine.marketConfig(marketId).tierCount;
        minValues = new uint256[](n);
        mm = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            TierState memory t = engine.tier(marketId, i);
            minValues[i] = t.minValue;
            mm[i] = MarginLib.rampedMm(t.mmFromBps, t.mmToBps, t.rampStart, t.rampEnd, block.timestamp, Math.Rounding.Ceil);
        }
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {MathHarness, Wide} from "./MathHarness.sol";

/// @notice Rounding direction of every share conversion, checked with exact 512-bit products against the real
/// quotient `x * (totalShares + 1e6) / (totalAssets + 1)` (virtual shares 1e6, virtual assets 1).
contract SharesMathFuzzTest is BaseTest {
    uint256 internal constant VS = 1e6; // virtual shares
    uint256 internal constant VA = 1; // virtual assets
    MathHarness internal h;

    function setUp() public override {
        super.setUp();
        h = new MathHarness();
    }

    /// @dev Totals as the engine can hold them (uint128), shares below 2^127 so a conversion result fits.
    function _totals(uint256 ta, uint256 ts) internal pure returns (uint256, uint256) {
        return (_bound(ta, 0, type(uint128).max), _bound(ts, 0, type(uint128).max >> 1));
    }

    function testFuzz_supplySharesNeverBuyMoreThanAssetsPaid(uint256 assets, uint256 ta, uint256 ts) public view {
        (ta, ts) = _totals(ta, ts);
        assets = _bound(assets, 0, type(uint128).max);
        uint256 shares = h.toSharesDown(assets, ta, ts);
        // shares * price <= assets, and one more share would be worth more than assets (floor is tight).
        vm.assertTrue(Wide.mulLe(shares, ta + VA, assets, ts + VS), "shares worth more than assets paid");
        vm.assertTrue(Wide.mulLt(assets, ts + VS, shares + 1, ta + VA), "floor not tight");
        // After the supply, redeeming them returns at most what was paid.
        vm.assertLe(h.toAssetsDown(shares, ta + assets, ts + shares), assets, "round trip profit");
        vm.assertLe(h.toAssetsUp(shares, ta, ts), assets, "shares valued up exceed assets");
    }

    function testFuzz_withdrawBurnsAtLeastSharesWorth(uint256 assets, uint256 ta, uint256 ts) public view {
        (ta, ts) = _totals(ta, ts);
        assets = _bound(assets, 0, type(uint128).max);
        uint256 shares = h.toSharesUp(assets, ta, ts);
        vm.assertTrue(Wide.mulLe(assets, ts + VS, shares, ta + VA), "burned shares worth less than assets");
        if (shares > 0) vm.assertTrue(Wide.mulLt(shares - 1, ta + VA, assets, ts + VS), "ceil not tight");
        vm.assertGe(h.toAssetsDown(shares, ta, ts), assets, "burned shares redeem for less than withdrawn");
    }

    function testFuzz_redeemPaysAtMostSharesWorth(uint256 shares, uint256 ta, uint256 ts) public view {
        (ta, ts) = _totals(ta, ts);
        shares = _bound(shares, 0, type(uint128).max);
        uint256 assets = h.toAssetsDown(shares, ta, ts);
        vm.assertTrue(Wide.mulLe(assets, ts + VS, shares, ta + VA), "redeem pays more than shares worth");
        vm.assertTrue(Wide.mulLt(shares, ta + VA, assets + 1, ts + VS), "floor not tight");
    }

    /// @dev A repayment of `assets` removes `toSharesDown(assets)` debt shares; the debt those shares represent,
    /// even valued up like the engine values debt, never exceeds what was paid.
    function testFuzz_repayRemovesAtMostDebtPaid(uint256 assets, uint256 tba, uint256 tbs) public view {
        (tba, tbs) = _totals(tba, tbs);
        assets = _bound(assets, 0, type(uint128).max);
        uint256 shares = h.toSharesDown(assets, tba, tbs);
        vm.assertLe(h.toAssetsUp(shares, tba, tbs), assets, "removed debt exceeds payment");
    }

    /// @dev A borrow of `assets` adds `toSharesUp(assets)` debt shares; the debt they represent once the market
    /// totals include the borrow (as the engine reads it) is at least what was lent.
    function testFuzz_borrowDebtRoundsUp(uint256 assets, uint256 tba, uint256 tbs) public view {
        (tba, tbs) = _totals(tba, tbs);
        assets = _bound(assets, 0, type(uint128).max);
        uint256 shares = h.toSharesUp(assets, tba, tbs);
        vm.assertGe(h.toAssetsUp(shares, tba + assets, tbs + shares), assets, "debt below amount lent");
        vm.assertTrue(Wide.mulLe(assets, tbs + VS, shares, tba + VA), "debt shares undervalue the loan");
    }

    /// @dev Debt (up) and value of a position (down) bracket the real value and differ by at most one unit.
    function testFuzz_assetsUpAndDownBracketRealValue(uint256 shares, uint256 ta, uint256 ts) public view {
        (ta, ts) = _totals(ta, ts);
        shares = _bound(shares, 0, type(uint128).max);
        uint256 down = h.toAssetsDown(shares, ta, ts);
        uint256 up = h.toAssetsUp(shares, ta, ts);
        vm.assertTrue(Wide.mulLe(down, ts + VS, shares, ta + VA), "down above real");
        vm.assertTrue(Wide.mulLe(shares, ta + VA, up, ts + VS), "up below real");
        vm.assertLe(up - down, 1, "up and down differ by more than 1");
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm} from "../utils/Vm.sol";
import {GuardBase} from "./GuardBase.sol";
import {IMarginGuard, GuardMode, GuardPolicy} from "../../src/interfaces/IMarginGuard.sol";
import {MarketParams} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice Random top-ups across three markets (USDC 6 / WETH 18, USDC 6 / a coarse 0-decimal bar at $1,000, and
/// DAI 18 / BTC 6), both modes, random positions, interest, prices, policies, fees, caps, balances and allowances,
/// and an earlier top-up of the same day. A drawn daily cap above 8 per-top-up caps must be refused (InvalidPolicy)
/// and is then lowered to exactly 8. Each run states what the guard must move (the least reaching the target, within
/// the caps, balance and allowance, the largest amount whose amount + fee fits, minDebt respected) or why it must
/// refuse (among them: a wallet that allows less than 1/8 of what the caps allow toward the target, and a top-up
/// that would leave the vault liquidatable, found by making the same move from another wallet) and checks it
/// exactly, with the properties: the draw fits every limit, the fee is at most 1%, health never falls and ends at
/// least 1, the target is reached when nothing binds (with the least collateral in deposit mode), and only the
/// owner's tokens move.
contract MarginGuardFuzzTest is GuardBase {
    address internal constant HOLDER = address(0xF00D); // the fuzzed vault's owner
    address internal constant SINK = address(0xD1E);
    address internal constant SIMULATOR = address(0x5111); // makes the expected move to find the health after it

    struct Mkt {
        uint256 id;
        MockERC20 loan;
        MockERC20 coll;
        MockAggregator feed;
        int256 answer;
        uint256 minColl;
        uint256 maxColl;
        uint256 minDebt;
    }

    /// @dev One run: the vault, its policy, and the limits and targets seen just before the measured top-up.
    struct Run {
        Mkt m;
        uint256 id;
        GuardPolicy p;
        MockERC20 token; // the token the mode moves
        uint256 used;
        uint256 balance;
        uint256 allowance;
        uint256 healthBefore;
        uint256 debt;
        uint256 needed; // collateralToReach / repayToReach
        uint256 wanted; // what the caps alone allow toward the target
        uint256 expected; // what the guard must move (the caps and the wallet)
        uint256 healthAfter; // after moving `expected` (0 when nothing may move)
        bool reachable; // nothing binds: the expected amount reaches the target
        uint256 budget;
        uint256 vaultTokenBefore; // vault collateral (deposit) or engine loan balance (repay)
        uint256 bobBalance;
        uint256 bobAllowance;
        uint256 keeperBalance; // fees of the earlier top-up
    }

    Mkt[3] internal mkts;
    MockERC20 internal gold;
    MockERC20 internal dai;
    MockERC20 internal btc;

    function setUp() public override {
        super.setUp();
        gold = new MockERC20("Gold bar", "BAR", 0);
        dai = new MockERC20("Dai", "DAI", 18);
        btc = new MockERC20("Bitcoin (6 dec)", "BTC6", 6);
        MockAggregator goldFeed = new MockAggregator(OWNER, 8, "BAR / USD", 1_000e8);
        MockAggregator btcFeed = new MockAggregator(OWNER, 8, "BTC / USD", 30_000e8);
        vm.startPrank(OWNER);
        uint256 goldMarket = engine.createMarket(defaultParams(address(usdc), address(gold), address(goldFeed)));
        MarketParams memory p = defaultParams(address(dai), address(btc), address(btcFeed));
        for (uint256 i; i < p.tiers.length; ++i) p.tiers[i].minValue *= 1e12; // tier thresholds in 18 decimals
        p.minDebt = 100e18;
        uint256 btcMarket = engine.createMarket(p);
        vm.stopPrank();

        mkts[0] = Mkt(marketId, usdc, weth, oracle, INITIAL_PRICE, 0.1e18, 6_000e18, 100e6);
        mkts[1] = Mkt(goldMarket, usdc, gold, goldFeed, 1_000e8, 1, 12_000, 100e6);
        mkts[2] = Mkt(btcMarket, dai, btc, btcFeed, 30_000e8, 0.01e6, 400e6, 100e18);
        for (uint256 k; k < 3; ++k) {
            uint256 liquidity = 50_000_000 * 10 ** mkts[k].loan.decimals();
            mkts[k].loan.mint(LENDER, liquidity);
            vm.startPrank(LENDER);
            mkts[k].loan.approve(address(engine), liquidity);
            engine.supply(mkts[k].id, liquidity, LENDER);
            vm.stopPrank();
        }
    }

    function _refreshFeeds() internal override {
        for (uint256 k; k < 3; ++k) {
            (, int256 answer,,,) = mkts[k].feed.latestRoundData();
            vm.prank(OWNER);
            mkts[k].feed.setAnswer(answer);
        }
    }

    function _setAnswer(Mkt memory m, int256 answer) internal {
        vm.prank(OWNER);
        m.feed.setAnswer(answer);
    }

    /// @dev A log-uniform-ish amount: up to 10^(decimals + 7) base units (ten million tokens), at least 1.
    function _amount(uint256 seed, uint256 decimals) internal pure returns (uint256) {
        uint256 top = 10 ** _bound(seed >> 128, 0, decimals + 7);
        return _bound(uint128(seed), 1, top);
    }

    function _hash(uint256 seed, uint256 salt) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, salt)));
    }

    /* SCENARIO */

    /// @dev HOLDER's vault in market `k`: random collateral, a debt within the initial margin, up to a year of
    /// interest; HOLDER's wallet emptied.
    function _openVault(Run memory r, uint256 k, uint256 seed) internal {
        r.m = mkts[k];
        uint256 c = _bound(seed, r.m.minColl, r.m.maxColl);
        uint256 value = Math.mulDiv(c, lens.price(r.m.id), 1e36);
        // 0.65 x V is within the initial margin of every tier (IM at most 35%)
        uint256 d = _bound(_hash(seed, 0), r.m.minDebt, Math.max(r.m.minDebt, value * 65 / 100));
        r.m.coll.mint(HOLDER, c);
        vm.startPrank(HOLDER);
        r.m.coll.approve(address(engine), c);
        r.id = engine.openVault(r.m.id, c, d);
        r.m.loan.transfer(SINK, d);
        vm.stopPrank();
        _warpFresh(block.timestamp + _bound(_hash(seed, 1), 0, 365 days));
    }

    /// @dev A price move to `pct` % of the market's start, and a policy around the vault's health there.
    function _policyAtPrice(Run memory r, bool repay, uint256 seed) internal {
        _setAnswer(r.m, r.m.answer * int256(_bound(seed, 45, 110)) / 100);
        uint256 h = lens.health(r.id);
        uint256 trigger;
        if (seed >> 8 & 7 == 0) {
            trigger = _bound(seed >> 16, WAD + 1, 3e18); // anywhere: often above the health
        } else {
            trigger = Math.max(WAD + 1, Math.min(h, 10e18) + _bound(seed >> 16, 1, 1e18));
        }
        uint256 target = trigger + _bound(seed >> 80, 1, 3e18);
        GuardMode mode = repay ? GuardMode.RepayDebt : GuardMode.DepositCollateral;
        r.token = repay ? r.m.loan : r.m.coll;
        uint256 decimals = r.token.decimals();
        bool generous = seed >> 144 & 3 == 0;
        r.p = _terms(
            mode,
            uint64(trigger),
            uint64(target),
            uint16(_bound(seed >> 152, 0, 100)),
            generous ? type(uint128).max : uint128(_amount(_hash(seed, 1), decimals)),
            generous ? type(uint128).max : uint128(_amount(_hash(seed, 2), decimals))
        );
        r.p.expiry = uint40(block.timestamp + 400 days);
        uint256 reachable = uint256(r.p.maxPerTopUp) * guard.MAX_TOP_UPS_PER_DAY();
        if (r.p.maxPerDay > reachable) {
            // a daily cap the day's eight top-ups cannot reach is refused; the owner then sets the most it may be
            vm.prank(HOLDER);
            vm.expectRevert(IMarginGuard.InvalidPolicy.selector);
            guard.setPolicy(r.id, r.p);
            r.p.maxPerDay = uint128(reachable);
        }
        vm.prank(HOLDER);
        guard.setPolicy(r.id, r.p);
    }

    /// @dev HOLDER's balance and allowance of the mode's token; BOB holds and approves the same token (untouched).
    function _wallets(Run memory r, uint256 seed) internal {
        uint256 decimals = r.token.decimals();
        bool generous = seed & 3 == 0;
        uint256 balance = generous ? 10 ** (decimals + 9) : _amount(_hash(seed, 3), decimals);
        if (seed >> 2 & 15 == 0) balance = 0;
        uint256 allowance = generous || seed >> 6 & 3 == 0
            ? type(uint256).max
            : _amount(_hash(seed, 4), decimals);
        if (seed >> 8 & 15 == 0) allowance = 0;
        _fundWallet(r.token, HOLDER, balance, allowance);
        _fundWallet(r.token, BOB, 10 ** (decimals + 6), type(uint256).max);
    }

    /// @dev Maybe an earlier top-up, then some time (fresh feeds), a second price move and mostly a new trigger.
    function _earlierTopUp(Run memory r, uint256 seed) internal {
        if (seed & 1 == 0) {
            vm.prank(KEEPER);
            (bool ok,) = address(guard).call(abi.encodeCall(IMarginGuard.topUp, (r.id)));
            ok; // any outcome: this only fills the day
        }
        _warpFresh(block.timestamp + _bound(seed >> 8, 0, 30 hours));
        (, int256 answer,,,) = r.m.feed.latestRoundData();
        _setAnswer(r.m, answer * int256(_bound(seed >> 64, 90, 104)) / 100);
        // Mostly, the owner then moves the trigger just above today's health (the caps and the day's use stay).
        if (seed >> 100 & 7 != 0) {
            uint256 gap = r.p.targetHealth - r.p.triggerHealth;
            r.p.triggerHealth = uint64(Math.max(WAD + 1, Math.min(lens.health(r.id), 10e18) + _bound(seed >> 104, 1, 1e18)));
            r.p.targetHealth = r.p.triggerHealth + uint64(gap);
            vm.prank(HOLDER);
            guard.setPolicy(r.id, r.p);
        }
    }

    /* EXPECTATION */

    function _expect(Run memory r) internal {
        r.used = guard.usedLast24h(r.id, r.p.mode);
        vm.assertEq(
            guard.usedLast24h(r.id, r.p.mode == GuardMode.RepayDebt ? GuardMode.DepositCollateral : GuardMode.RepayDebt),
            0,
            "a draw counted in the other mode"
        );
        r.balance = r.token.balanceOf(HOLDER);
        r.allowance = r.token.allowance(HOLDER, address(guard));
        r.healthBefore = lens.health(r.id);
        r.debt = lens.debtOf(r.id);
        bool repay = r.p.mode == GuardMode.RepayDebt;
        r.needed = repay ? lens.repayToReach(r.id, r.p.targetHealth) : lens.collateralToReach(r.id, r.p.targetHealth);
        uint256 capLeft = r.p.maxPerDay > r.used ? Math.min(r.p.maxPerDay - r.used, r.p.maxPerTopUp) : 0;
        r.wanted = _fit(r, _affordable(capLeft, r.p.feeBps));
        r.budget = Math.min(capLeft, Math.min(r.balance, r.allowance));
        r.expected = _fit(r, _affordable(r.budget, r.p.feeBps));
        r.reachable = r.expected >= r.needed;
        r.healthAfter = _healthAfter(r);
        r.vaultTokenBefore = repay ? r.m.loan.balanceOf(address(engine)) : engine.vault(r.id).collateral;
        r.bobBalance = r.token.balanceOf(BOB);
        r.bobAllowance = r.token.allowance(BOB, address(guard));
        r.keeperBalance = r.token.balanceOf(KEEPER);
    }

    /// @dev What a top-up moves toward `r.needed` when `affordable` is the most it may: the least of the two, and a
    /// partial repay may not leave dust under minDebt (all of it if affordable, else down to minDebt).
    function _fit(Run memory r, uint256 affordable) internal pure returns (uint256 amount) {
        amount = Math.min(r.needed, affordable);
        if (
            r.p.mode == GuardMode.RepayDebt && amount < r.debt && r.debt >= r.m.minDebt
                && r.debt - amount < r.m.minDebt
        ) {
            amount = affordable >= r.debt ? r.debt : r.debt - r.m.minDebt;
        }
    }

    /// @dev Whether the wallet limits the top-up to nothing, or to less than 1/MAX_TOP_UPS_PER_DAY of what the caps
    /// allow toward the target (a dust top-up that would waste one of the day's slots).
    function _walletTooLow(Run memory r) internal view returns (bool) {
        return r.expected == 0 || r.expected < Math.ceilDiv(r.wanted, guard.MAX_TOP_UPS_PER_DAY());
    }

    /// @dev The vault's health after `r.expected` is deposited or repaid from another wallet (the same engine
    /// call the guard makes, at the same time and price); 0 when nothing may move.
    function _healthAfter(Run memory r) internal returns (uint256 h) {
        if (r.healthBefore >= r.p.triggerHealth || r.wanted == 0 || _walletTooLow(r)) return 0;
        uint256 snap = vm.snapshotState();
        MockERC20 token = r.p.mode == GuardMode.RepayDebt ? r.m.loan : r.m.coll;
        _mintApproveEngine(token, SIMULATOR, r.expected);
        vm.prank(SIMULATOR);
        if (r.p.mode == GuardMode.RepayDebt) engine.repay(r.id, r.expected);
        else engine.depositCollateral(r.id, r.expected);
        h = lens.health(r.id);
        vm.revertToState(snap);
    }

    /// @dev The revert a run must get, or empty when the top-up must run.
    function _expectedRevert(Run memory r) internal view returns (bytes memory) {
        if (r.healthBefore >= r.p.triggerHealth) {
            return abi.encodeWithSelector(IMarginGuard.AboveTrigger.selector, r.id, r.healthBefore, r.p.triggerHealth);
        }
        // (TooManyTopUps cannot arise: at most two top-ups run per test)
        if (r.p.maxPerDay <= r.used) {
            return abi.encodeWithSelector(IMarginGuard.CapReached.selector, r.id, r.used, r.p.maxPerDay);
        }
        if (r.wanted == 0) return abi.encodeWithSelector(IMarginGuard.NothingToMove.selector, r.id);
        if (_walletTooLow(r)) {
            return r.allowance < r.balance
                ? abi.encodeWithSelector(IMarginGuard.AllowanceTooLow.selector, r.id, r.allowance)
                : abi.encodeWithSelector(IMarginGuard.BalanceTooLow.selector, r.id, r.balance);
        }
        if (r.healthAfter < WAD) {
            return abi.encodeWithSelector(IMarginGuard.StillLiquidatable.selector, r.id, r.healthAfter);
        }
        return "";
    }

    /* THE TEST */

    function testFuzz_topUp_movesWhatThePolicyAllowsAndNothingElse(
        uint256 marketSeed,
        uint256 vaultSeed,
        uint256 policySeed,
        uint256 walletSeed,
        uint256 laterSeed
    ) public {
        Run memory r;
        _openVault(r, marketSeed % 3, vaultSeed);
        _policyAtPrice(r, marketSeed >> 8 & 1 == 1, policySeed);
        _wallets(r, walletSeed);
        _earlierTopUp(r, laterSeed);
        _expect(r);

        bytes memory err = _expectedRevert(r);
        uint256 snap = vm.snapshotState();
        vm.prank(KEEPER);
        (bool ok, bytes memory ret) = address(guard).call(abi.encodeCall(IMarginGuard.topUp, (r.id)));
        if (err.length > 0) {
            vm.assertFalse(ok, "top-up ran where it must revert");
            vm.assertEq(keccak256(ret), keccak256(err), "top-up reverted with another error");
            vm.assertEq(r.token.balanceOf(HOLDER), r.balance);
            return;
        }
        vm.assertTrue(ok, "top-up reverted where it must run");
        (uint256 amount, uint256 fee) = abi.decode(ret, (uint256, uint256));
        _checkMoved(r, amount, fee);
        if (_checkHealth(r) && r.p.mode == GuardMode.DepositCollateral && amount > 1) {
            // The least collateral reaching the target: one unit less, deposited from the same state, does not.
            vm.revertToState(snap);
            _mintApproveEngine(r.m.coll, BOB, amount - 1);
            vm.prank(BOB);
            engine.depositCollateral(r.id, amount - 1);
            vm.assertLt(lens.health(r.id), r.p.targetHealth, "one collateral unit less also reaches the target");
        }
    }

    function _checkMoved(Run memory r, uint256 amount, uint256 fee) internal view {
        vm.assertEq(amount, r.expected, "amount moved");
        vm.assertEq(fee, amount * r.p.feeBps / BPS, "fee not amount x feeBps / 10,000 rounded down");
        vm.assertLe(fee * 100, amount, "fee above 1%");
        // The draw fits every limit.
        vm.assertLe(amount + fee, r.p.maxPerTopUp, "over the per-top-up cap");
        vm.assertLe(amount + fee, r.p.maxPerDay - r.used, "over the day's cap");
        vm.assertLe(amount + fee, r.balance, "over the balance");
        vm.assertLe(amount + fee, r.allowance, "over the allowance");
        vm.assertEq(guard.usedLast24h(r.id, guard.policy(r.id).terms.mode), r.used + amount + fee, "usedLast24h");
        // Only the owner's tokens move: into the vault and to the caller.
        vm.assertEq(r.token.balanceOf(HOLDER), r.balance - amount - fee, "owner's wallet");
        if (r.allowance != type(uint256).max) {
            vm.assertEq(r.token.allowance(HOLDER, address(guard)), r.allowance - amount - fee, "owner's allowance");
        }
        vm.assertEq(r.token.balanceOf(KEEPER), r.keeperBalance + fee, "caller's fee");
        vm.assertEq(r.token.balanceOf(BOB), r.bobBalance, "another wallet moved");
        vm.assertEq(r.token.allowance(BOB, address(guard)), r.bobAllowance, "another allowance moved");
        if (r.p.mode == GuardMode.RepayDebt) {
            vm.assertEq(r.m.loan.balanceOf(address(engine)), r.vaultTokenBefore + amount, "engine's loan tokens");
        } else {
            vm.assertEq(engine.vault(r.id).collateral, r.vaultTokenBefore + amount, "vault collateral");
        }
        vm.assertEq(r.m.loan.balanceOf(address(guard)), 0, "guard holds loan tokens");
        vm.assertEq(r.m.coll.balanceOf(address(guard)), 0, "guard holds collateral");
    }

    /// @dev Health never falls and ends at least 1 (that of the same move made from another wallet); when nothing
    /// binds it reaches the target. Returns whether it had to.
    function _checkHealth(Run memory r) internal view returns (bool) {
        uint256 h = lens.health(r.id);
        vm.assertGe(h, r.healthBefore, "health fell");
        vm.assertGe(h, WAD, "left liquidatable");
        vm.assertEq(h, r.healthAfter, "health after not that of the same move");
        if (r.reachable) vm.assertGe(h, r.p.targetHealth, "nothing bound, yet the target was not reached");
        return r.reachable;
    }

    function _mintApproveEngine(MockERC20 token, address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(engine), amount);
    }
}

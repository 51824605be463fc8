// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {IsomarginEngine} from "../../src/IsomarginEngine.sol";
import {IsomarginLens} from "../../src/IsomarginLens.sol";
import {MarginGuard} from "../../src/MarginGuard.sol";
import {IMarginGuard, ArmedPosition, GuardMode, GuardPolicy, StoredPolicy} from "../../src/interfaces/IMarginGuard.sol";
import {Vault} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice Drives MarginGuard for the invariant campaign: three owners with two vaults each (and an operator
/// each), two executors, policies set and replaced by owners (an operator's attempt must be refused, and so must a
/// daily cap above 8 per-top-up caps), revoked by owners and operators, top-ups single and batched, time, prices,
/// borrowing, wallet balances and allowances. Each top-up is checked against the wallets before and after it and
/// recorded as a draw with its mode; the rolling cap is checked at each draw (the draws of the vault's same mode in
/// the 24 hours ending then, this one included, against the maxPerDay in force: a cap is in its mode's token), and
/// the count of the vault's draws of any mode in those 24 hours against MAX_TOP_UPS_PER_DAY, into counters the
/// invariants assert are zero.
contract GuardHandler {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant DAY = 1 days;
    uint256 internal constant N_OWNERS = 3;
    uint256 internal constant N_EXECUTORS = 2;
    address internal constant FEED_OWNER = address(0xA11CE);
    address internal constant SINK = address(0xD1E);

    IsomarginEngine public immutable engine;
    IsomarginLens public immutable lens;
    MarginGuard public immutable guard;
    MockERC20 public immutable loan;
    MockERC20 public immutable coll;
    MockAggregator public immutable oracle;
    uint256 public immutable marketId;

    address[N_OWNERS] public owners;
    address[N_OWNERS] public operators;
    address[N_EXECUTORS] public executors;
    uint256[] public vaults;

    /// @dev One wallet draw of a top-up: its mode (the token), what left the owner's wallet (amount + fee) and the
    /// cap then in force.
    struct Draw {
        uint256 at;
        GuardMode mode;
        uint256 taken;
        uint256 maxPerDay;
    }

    mapping(uint256 vaultId => Draw[]) internal _draws;

    /* VIOLATION COUNTERS (the invariants assert these are zero) */

    uint256 public capViolations; // a vault's draws of one mode within 24 hours above the maxPerDay in force
    uint256 public perTopUpViolations; // one draw above maxPerTopUp
    uint256 public countViolations; // more than MAX_TOP_UPS_PER_DAY draws of a vault, any mode, within 24 hours
    uint256 public policyViolations; // an operator's policy, or one with maxPerDay > 8 x maxPerTopUp, accepted
    uint256 public liquidatableAfterTopUp; // a top-up ran and left its vault at health < 1
    uint256 public disarmedTopUps; // a top-up ran for a vault holding less collateral per share than armed
    mapping(uint256 vaultId => bool) internal disarmedBefore;
    uint256 public drawsWithoutPolicy; // a top-up ran for a vault without a policy
    uint256 public foreignDraws; // a wallet lost other than what its own policies' top-ups took
    uint256 public feeViolations; // fee not amount x feeBps / 10,000 rounded down, or above 1%
    uint256 public executorMismatches; // an executor gained other than the fees of its own top-ups
    string public lastViolation;

    /* STATISTICS */

    uint256 public topUps;
    uint256 public batchTopUps;
    uint256 public failedTopUps;
    /// @dev Why single top-ups failed, by error selector.
    mapping(bytes4 => uint256) public failures;
    uint256 public policiesSet;
    uint256 public policiesRefused; // operators' attempts and unreachable daily caps, refused as they must be
    uint256 public revocations;
    uint256 public totalAmount;
    uint256 public totalFees;

    constructor(
        IsomarginEngine engine_,
        IsomarginLens lens_,
        MarginGuard guard_,
        MockERC20 loan_,
        MockERC20 coll_,
        MockAggregator oracle_,
        uint256 marketId_
    ) {
        (engine, lens, guard, loan, coll, oracle, marketId) = (engine_, lens_, guard_, loan_, coll_, oracle_, marketId_);
        for (uint256 i; i < N_OWNERS; ++i) {
            owners[i] = address(uint160(0x0A000 + i));
            operators[i] = address(uint160(0x0B000 + i));
            vm.prank(owners[i]);
            engine.setOperator(operators[i], true);
        }
        for (uint256 i; i < N_EXECUTORS; ++i) {
            executors[i] = address(uint160(0x0E000 + i));
        }
    }

    /// @dev Set-up: owner `o` opens a vault (10 WETH against `debt`) and funds a wallet approved to the guard.
    function openVault(uint256 o, uint256 debt) external {
        address owner = owners[o];
        coll.mint(owner, 60e18);
        loan.mint(owner, 100_000e6);
        vm.startPrank(owner);
        coll.approve(address(engine), 10e18);
        vaults.push(engine.openVault(marketId, 10e18, debt));
        coll.approve(address(guard), type(uint256).max);
        loan.approve(address(guard), type(uint256).max);
        vm.stopPrank();
    }

    function vaultCount() external view returns (uint256) {
        return vaults.length;
    }

    function drawCount(uint256 vaultId) external view returns (uint256) {
        return _draws[vaultId].length;
    }

    function _vault(uint256 seed) internal view returns (uint256 id, address owner) {
        id = vaults[seed % vaults.length];
        owner = engine.vault(id).owner;
    }

    function _ownerIndex(address owner) internal view returns (uint256) {
        for (uint256 i; i < N_OWNERS; ++i) {
            if (owners[i] == owner) return i;
        }
        revert("not an owner");
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + x % (max - min + 1);
    }

    function _violation(string memory what) internal {
        lastViolation = what;
    }

    /* POLICIES */

    /// @dev The owner sets a policy. `byOperator`: the owner's operator tries first and must be refused (a policy
    /// spends the owner's wallet, which the operator role never gave). A drawn daily cap above 8 per-top-up caps
    /// must be refused too; the owner then sets exactly 8 per-top-up caps.
    function setPolicy(uint256 vaultSeed, bool byOperator, uint256 seed) external {
        (uint256 id, address owner) = _vault(vaultSeed);
        bool repay = seed & 1 == 1;
        uint256 trigger = 1e18 + _bound(seed >> 8, 1, 2e18);
        uint256 unit = repay ? 1e6 : 1e15; // 1 USDC or 0.001 WETH
        // Caps mostly below what a top-up needs (a few WETH or thousand USDC), a quarter of them tiny: the day's
        // cap and the ring of eight top-ups bind often.
        uint256 perTopUp = unit * _bound(seed >> 72, 1, seed >> 200 & 3 == 0 ? 50 : 4_000);
        uint256 perDay = unit * _bound(seed >> 104, 1, 8_000);
        GuardPolicy memory p = GuardPolicy({
            triggerHealth: uint64(trigger),
            targetHealth: uint64(trigger + _bound(seed >> 40, 1, 1e18)),
            mode: repay ? GuardMode.RepayDebt : GuardMode.DepositCollateral,
            feeBps: uint16(_bound(seed >> 136, 0, 100)),
            expiry: uint40(block.timestamp + _bound(seed >> 152, 1 hours, 20 days)),
            maxPerTopUp: uint128(perTopUp),
            maxPerDay: uint128(perDay)
        });
        if (byOperator) _expectRefused(operators[_ownerIndex(owner)], id, p, "an operator set a policy");
        if (perDay > perTopUp * guard.MAX_TOP_UPS_PER_DAY()) {
            _expectRefused(owner, id, p, "a policy with maxPerDay above 8 x maxPerTopUp");
            p.maxPerDay = uint128(perTopUp * guard.MAX_TOP_UPS_PER_DAY());
        }
        vm.prank(owner);
        guard.setPolicy(id, p);
        ++policiesSet;
    }

    /// @dev `who` sets `p` for `id`: the guard must refuse it, leaving the policy in force unchanged.
    function _expectRefused(address who, uint256 id, GuardPolicy memory p, string memory what) internal {
        bytes32 before = keccak256(abi.encode(guard.policy(id)));
        vm.prank(who);
        try guard.setPolicy(id, p) {
            ++policyViolations;
            _violation(what);
        } catch {
            ++policiesRefused;
        }
        if (keccak256(abi.encode(guard.policy(id))) != before) {
            ++policyViolations;
            _violation(what);
        }
    }

    /// @dev Runs one call in four, so that most vaults keep a policy most of the time.
    function revokePolicy(uint256 vaultSeed, bool byOperator) external {
        if (vaultSeed >> 128 & 3 != 0) return;
        (uint256 id, address owner) = _vault(vaultSeed);
        vm.prank(byOperator ? operators[_ownerIndex(owner)] : owner);
        guard.revokePolicy(id);
        ++revocations;
    }

    /* TOP-UPS */

    /// @dev Wallets of every owner and executor, in both tokens.
    struct Wallets {
        uint256[N_OWNERS] ownerLoan;
        uint256[N_OWNERS] ownerColl;
        uint256[N_EXECUTORS] execLoan;
        uint256[N_EXECUTORS] execColl;
    }

    function _wallets() internal view returns (Wallets memory w) {
        for (uint256 i; i < N_OWNERS; ++i) {
            (w.ownerLoan[i], w.ownerColl[i]) = (loan.balanceOf(owners[i]), coll.balanceOf(owners[i]));
        }
        for (uint256 i; i < N_EXECUTORS; ++i) {
            (w.execLoan[i], w.execColl[i]) = (loan.balanceOf(executors[i]), coll.balanceOf(executors[i]));
        }
    }

    function topUp(uint256 execSeed, uint256 vaultSeed) external {
        uint256 e = execSeed % N_EXECUTORS;
        (uint256 id,) = _vault(vaultSeed);
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        StoredPolicy[] memory before = _policies(ids);
        _noteDisarmed(ids);
        Wallets memory w = _wallets();
        vm.prank(executors[e]);
        try guard.topUp(id) returns (uint256 amount, uint256 fee) {
            uint256[] memory amounts = new uint256[](1);
            uint256[] memory fees = new uint256[](1);
            (amounts[0], fees[0]) = (amount, fee);
            _settle(e, ids, before, amounts, fees, w);
            ++topUps;
        } catch (bytes memory err) {
            ++failedTopUps;
            ++failures[bytes4(err)];
            _settle(e, ids, before, new uint256[](1), new uint256[](1), w); // nothing may have moved
        }
    }

    function topUpBatch(uint256 execSeed, uint256 idsSeed, uint256 count) external {
        uint256 e = execSeed % N_EXECUTORS;
        uint256[] memory ids = new uint256[](_bound(count, 1, 8));
        for (uint256 i; i < ids.length; ++i) {
            uint256 s = uint256(keccak256(abi.encode(idsSeed, i)));
            // now and then an id that is no vault at all
            ids[i] = s % 16 == 0 ? 1_000 + s % 7 : vaults[s % vaults.length];
        }
        StoredPolicy[] memory before = _policies(ids);
        _noteDisarmed(ids);
        Wallets memory w = _wallets();
        vm.prank(executors[e]);
        (uint256[] memory amounts, uint256[] memory fees) = guard.topUpBatch(ids);
        _settle(e, ids, before, amounts, fees, w);
        for (uint256 i; i < ids.length; ++i) {
            if (amounts[i] > 0) ++batchTopUps;
        }
    }

    function _policies(uint256[] memory ids) internal view returns (StoredPolicy[] memory ps) {
        ps = new StoredPolicy[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            ps[i] = guard.policy(ids[i]);
        }
    }

    /// @dev Which of `ids` are not at least as safe as their armed position: more debt shares, or less collateral per
    /// share (borrowed against since armed).
    function _noteDisarmed(uint256[] memory ids) internal {
        for (uint256 i; i < ids.length; ++i) {
            ArmedPosition memory a = guard.armedPosition(ids[i]);
            Vault memory v = engine.vault(ids[i]);
            disarmedBefore[ids[i]] = v.debtShares > a.debtShares
                || uint256(v.collateral) * a.debtShares < uint256(a.collateral) * v.debtShares;
        }
    }

    /// @dev Checks one call's top-ups against the wallets and records each as a draw.
    function _settle(
        uint256 e,
        uint256[] memory ids,
        StoredPolicy[] memory before,
        uint256[] memory amounts,
        uint256[] memory fees,
        Wallets memory w
    ) internal {
        Wallets memory expected = w;
        for (uint256 i; i < ids.length; ++i) {
            if (amounts[i] == 0 && fees[i] == 0) continue;
            StoredPolicy memory p = before[i];
            if (p.owner == address(0)) {
                ++drawsWithoutPolicy;
                _violation("a top-up ran for a vault without a policy");
                continue;
            }
            _checkFee(amounts[i], fees[i], p.terms.feeBps);
            if (disarmedBefore[ids[i]]) {
                ++disarmedTopUps;
                _violation("a top-up ran for a vault borrowed against since it was armed");
            }
            uint256 taken = amounts[i] + fees[i];
            uint256 o = _ownerIndex(p.owner);
            if (p.terms.mode == GuardMode.DepositCollateral) {
                expected.ownerColl[o] -= taken;
                expected.execColl[e] += fees[i];
            } else {
                expected.ownerLoan[o] -= taken;
                expected.execLoan[e] += fees[i];
            }
            _recordDraw(ids[i], p.terms.mode, taken, p.terms.maxPerTopUp, p.terms.maxPerDay);
            if (lens.health(ids[i]) < 1e18) {
                ++liquidatableAfterTopUp;
                _violation("a top-up left its vault liquidatable");
            }
            totalAmount += amounts[i];
            totalFees += fees[i];
        }
        Wallets memory actual = _wallets();
        for (uint256 i; i < N_OWNERS; ++i) {
            if (actual.ownerLoan[i] != expected.ownerLoan[i] || actual.ownerColl[i] != expected.ownerColl[i]) {
                ++foreignDraws;
                _violation("a wallet lost other than its own policies' top-ups");
            }
        }
        for (uint256 i; i < N_EXECUTORS; ++i) {
            if (actual.execLoan[i] != expected.execLoan[i] || actual.execColl[i] != expected.execColl[i]) {
                ++executorMismatches;
                _violation("an executor gained other than its fees");
            }
        }
    }

    function _checkFee(uint256 amount, uint256 fee, uint256 feeBps) internal {
        if (fee != amount * feeBps / BPS || fee * 100 > amount) {
            ++feeViolations;
            _violation("fee not amount x feeBps / 10,000 rounded down, or above 1%");
        }
    }

    /// @dev Records a draw and checks the caps: this draw against maxPerTopUp, the vault's draws of the same mode
    /// in the 24 hours ending now (this one included) against the maxPerDay in force, and the number of its draws
    /// of any mode in those 24 hours against MAX_TOP_UPS_PER_DAY.
    function _recordDraw(uint256 id, GuardMode mode, uint256 taken, uint256 maxPerTopUp, uint256 maxPerDay)
        internal
    {
        if (taken > maxPerTopUp) {
            ++perTopUpViolations;
            _violation("a draw above maxPerTopUp");
        }
        Draw[] storage d = _draws[id];
        d.push(Draw({at: block.timestamp, mode: mode, taken: taken, maxPerDay: maxPerDay}));
        uint256 sum;
        uint256 count;
        for (uint256 k = d.length; k > 0; --k) {
            if (d[k - 1].at + DAY <= block.timestamp) break;
            ++count;
            if (d[k - 1].mode == mode) sum += d[k - 1].taken;
        }
        if (sum > maxPerDay) {
            ++capViolations;
            _violation("a vault's draws of one mode within 24 hours above maxPerDay");
        }
        if (count > guard.MAX_TOP_UPS_PER_DAY()) {
            ++countViolations;
            _violation("more than MAX_TOP_UPS_PER_DAY top-ups of a vault within 24 hours");
        }
    }

    /// @dev The largest sum of one vault's draws of one mode within any 24 hours, over the cap then in force (0 if
    /// none over): rechecks every recorded draw from scratch.
    function worstWindowExcess(uint256 id) external view returns (uint256 worst) {
        Draw[] storage d = _draws[id];
        for (uint256 i; i < d.length; ++i) {
            uint256 sum;
            for (uint256 j; j <= i; ++j) {
                if (d[j].at + DAY > d[i].at && d[j].mode == d[i].mode) sum += d[j].taken;
            }
            if (sum > d[i].maxPerDay && sum - d[i].maxPerDay > worst) worst = sum - d[i].maxPerDay;
        }
    }

    /// @dev The most draws of one vault, any mode, within any 24 hours: rechecks every recorded draw from scratch.
    function mostDrawsInADay(uint256 id) external view returns (uint256 most) {
        Draw[] storage d = _draws[id];
        for (uint256 i; i < d.length; ++i) {
            uint256 count;
            for (uint256 j; j <= i; ++j) {
                if (d[j].at + DAY > d[i].at) ++count;
            }
            if (count > most) most = count;
        }
    }

    /* THE WORLD */

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + _bound(seconds_, 1, 8 hours));
        (, int256 answer,,,) = oracle.latestRoundData();
        vm.prank(FEED_OWNER);
        oracle.setAnswer(answer); // keep the feed fresh (max age one hour)
    }

    /// @dev A move of -15% to +12% from the current price, kept within $1,000 - $2,600.
    function movePrice(uint256 seed) external {
        (, int256 answer,,,) = oracle.latestRoundData();
        int256 next = answer * int256(_bound(seed, 85, 112)) / 100;
        if (next < 1_000e8) next = 1_000e8;
        if (next > 2_600e8) next = 2_600e8;
        vm.prank(FEED_OWNER);
        oracle.setAnswer(next);
    }

    /// @dev An owner borrows more (within the initial margin), pushing the vault's health down.
    function borrow(uint256 vaultSeed, uint256 amount) external {
        (uint256 id, address owner) = _vault(vaultSeed);
        vm.prank(owner);
        engine.borrow(id, _bound(amount, 1e6, 3_000e6), owner);
    }

    function approve(uint256 ownerSeed, bool loanToken, uint256 seed) external {
        address owner = owners[ownerSeed % N_OWNERS];
        uint256 kind = seed % 4;
        uint256 unit = loanToken ? 1e6 : 1e15;
        uint256 amount = kind == 0 ? 0 : kind == 1 ? type(uint256).max : unit * _bound(seed >> 8, 1, 20_000);
        vm.prank(owner);
        (loanToken ? loan : coll).approve(address(guard), amount);
    }

    /// @dev Mints to an owner's wallet, or sends part of it away.
    function fund(uint256 ownerSeed, bool loanToken, uint256 seed) external {
        address owner = owners[ownerSeed % N_OWNERS];
        MockERC20 t = loanToken ? loan : coll;
        uint256 unit = loanToken ? 1e6 : 1e15;
        if (seed & 1 == 0) {
            t.mint(owner, unit * _bound(seed >> 8, 1, 20_000));
        } else {
            uint256 bal = t.balanceOf(owner);
            vm.prank(owner);
            t.transfer(SINK, bal * _bound(seed >> 8, 0, 100) / 100);
        }
    }
}

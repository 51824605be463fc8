// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm, VmLog} from "../utils/Vm.sol";
import {IsomarginEngine} from "../../src/IsomarginEngine.sol";
import {IsomarginLens} from "../../src/IsomarginLens.sol";
import {IIsomarginEngine, MarketState, Vault, TierState, RiskParams} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";
import {MarginLib} from "../../src/libraries/MarginLib.sol";
import {SharesMathLib} from "../../src/libraries/SharesMathLib.sol";

/// @notice Drives the engine for the invariant campaign: owns the actors, bounds every input to a range where the
/// call should mostly succeed, and checks the properties that need a before/after view of one call (isolation,
/// healthy-never-liquidated, share price, pause) into violation counters the invariants assert are zero.
contract IsomarginHandler {
    using SharesMathLib for uint256;

    /* CONFIGURATION */

    struct MarketCtx {
        uint256 id;
        MockERC20 loan;
        MockERC20 coll;
        MockAggregator oracle;
        int256 startAnswer;
        uint256 loanUnit; // 10 ** loan decimals
        uint256 minCollateral;
        uint256 maxCollateral;
    }

    /// @dev Action ids, for the call counters.
    uint256 internal constant A_SUPPLY = 0;
    uint256 internal constant A_WITHDRAW = 1;
    uint256 internal constant A_REDEEM = 2;
    uint256 internal constant A_OPEN = 3;
    uint256 internal constant A_DEPOSIT = 4;
    uint256 internal constant A_WITHDRAW_COLL = 5;
    uint256 internal constant A_BORROW = 6;
    uint256 internal constant A_REPAY = 7;
    uint256 internal constant A_CLOSE = 8;
    uint256 internal constant A_LIQUIDATE = 9;
    uint256 internal constant A_BATCH = 10;
    uint256 internal constant A_INSURANCE = 11;
    uint256 internal constant A_ACCRUE = 12;
    uint256 internal constant A_PRICE = 13;
    uint256 internal constant A_PAUSE = 14;
    uint256 internal constant A_MARGINS = 15;
    uint256 internal constant A_CRASH = 16;
    uint256 internal constant A_BORROW_REPAY = 17;
    uint256 internal constant N_ACTIONS = 18;

    /// @dev Caps the vault count so the per-call snapshots of every vault stay cheap.
    uint256 internal constant MAX_VAULTS = 48;
    /// @dev Default maintenance margins of the three tiers (BaseTest.defaultTiers); a margin change adds a delta.
    uint16 internal constant MM0 = 1_000;
    uint16 internal constant MM1 = 1_500;
    uint16 internal constant MM2 = 2_500;

    IsomarginEngine public immutable engine;
    /// @dev The handler's own lens over `engine` (accrued-to-now views).
    IsomarginLens public immutable lens;
    address public immutable owner;
    address public immutable guardian;

    MarketCtx[] internal _markets;
    address[] public lenders;
    address[] public borrowers;
    address[] public liquidators;
    address[] internal _actors; // all of the above, for third-party deposits and repayments
    uint256[] public vaultIds;
    uint256 public currentTime;

    /* GHOSTS */

    uint256[N_ACTIONS] public calls;
    uint256[N_ACTIONS] public successes;
    uint256[N_ACTIONS] public successesWhilePaused;
    /// @dev Reverts of entry points for reasons the handler did not anticipate (diagnostic, printed).
    uint256[N_ACTIONS] public unanticipatedReverts;

    uint256 public isolationViolations; // a call changed a vault it does not target
    uint256 public marketIsolationViolations; // a call changed the accounting of a market it does not target
    uint256 public healthyLiquidations; // a vault that was not liquidatable lost collateral or debt to a liquidation
    uint256 public batchCountMismatches; // liquidateBatch reported a count inconsistent with the vaults' health
    uint256 public badDebtAccountingViolations; // a vault emptied with debt left, not written off as bad debt
    uint256 public sharePriceDrops; // the lenders' share price fell in a call without bad debt
    uint256 public pausedExitsBlocked; // repay/deposit/close/liquidate/lender exit reverted illegitimately while paused
    uint256 public unexpectedExitReverts; // the same, while not paused
    uint256 public pauseBypasses; // supply/open/borrow/withdrawCollateral succeeded while paused
    uint256 public overWithdrawals; // a lender withdrew more than totalSupplyAssets - totalBorrowAssets
    uint256 public entriesRejectedByPause; // supply/open/borrow/withdrawCollateral reverted MarketPaused (expected)
    uint256 public liquidationPriceViolations; // a vault priced below its liquidationPrice was not liquidatable
    /// @dev A borrow repaid in full in the same block cost more than 1 unit over the amount borrowed: the vault was
    /// charged interest for time before its borrow (v1 kept elapsed time while interest rounded to zero).
    uint256 public backdatedInterestViolations;
    uint256 public sameBlockRoundTrips; // borrow + full repay in one block, checked
    /// @dev A Liquidated event whose repayment (+ fee) is not covered by the oracle value of the collateral seized,
    /// less the bonus, at the price of that moment.
    uint256 public uncoveredRepayments;
    uint256 public liquidationsChecked; // Liquidated events checked for cover
    uint256 public batchesRejectedUnsorted; // batches sent with a repeated or unsorted id (must revert BatchNotSorted)
    string public lastViolation;
    bytes public lastViolationData;

    /// @dev Vaults a liquidation emptied with debt left (single: write-off checked exactly; batch: emptied).
    mapping(uint256 vaultId => bool) public badDebtVault;
    mapping(uint256 marketId => uint256) public socializedTotal;
    mapping(uint256 marketId => uint256) public coveredByInsuranceTotal;
    uint256 public badDebtEvents;
    uint256 public vaultsLiquidated; // single liquidations plus vaults liquidated in batches
    uint256 public vaultsLiquidatedWhilePaused;
    uint256 public liquidateRevertsHealthy; // expected VaultHealthy reverts (the handler aimed at a healthy vault)
    uint256 public liquidateRevertsBadPrice; // expected oracle reverts (stale price after a warp)

    /// @dev Per-call scratch: the market a call may change, the vaults it may change, markets with bad debt.
    uint256 internal _touched;
    uint256[] internal _allowed;
    mapping(uint256 marketId => bool) internal _badDebtInCall;

    constructor(IsomarginEngine engine_, address owner_, address guardian_) {
        engine = engine_;
        lens = new IsomarginLens(engine_);
        owner = owner_;
        guardian = guardian_;
        currentTime = block.timestamp;
        for (uint256 i; i < 3; ++i) lenders.push(_newActor("lender", i));
        for (uint256 i; i < 8; ++i) borrowers.push(_newActor("borrower", i));
        for (uint256 i; i < 2; ++i) liquidators.push(_newActor("liquidator", i));
    }

    function _newActor(string memory role, uint256 i) internal returns (address a) {
        a = address(uint160(uint256(keccak256(abi.encode("isomargin.invariant", role, i)))));
        vm.label(a, string.concat(role, vm.toString(i)));
        _actors.push(a);
    }

    /// @notice Registers a market (called from the test's setUp) and approves the engine for every actor.
    function addMarket(MarketCtx calldata ctx) external {
        _markets.push(ctx);
        for (uint256 i; i < _actors.length; ++i) {
            vm.startPrank(_actors[i]);
            ctx.loan.approve(address(engine), type(uint256).max);
            ctx.coll.approve(address(engine), type(uint256).max);
            vm.stopPrank();
        }
    }

    /* VIEWS FOR THE INVARIANTS */

    function marketCount() external view returns (uint256) {
        return _markets.length;
    }

    function market(uint256 i) external view returns (MarketCtx memory) {
        return _markets[i];
    }

    function vaultIdsLength() external view returns (uint256) {
        return vaultIds.length;
    }

    function lendersLength() external view returns (uint256) {
        return lenders.length;
    }

    function actionNames() external pure returns (string[N_ACTIONS] memory) {
        return [
            "supply",
            "withdraw",
            "redeem",
            "openVault",
            "depositCollateral",
            "withdrawCollateral",
            "borrow",
            "repay",
            "closeVault",
            "liquidate",
            "liquidateBatch",
            "fundInsurance",
            "accrue(warp)",
            "setPrice",
            "setPaused",
            "setMarginTiers",
            "crashBelowLiquidationPrice",
            "borrowAndRepaySameBlock"
        ];
    }

    /* PER-CALL CHECKS */

    /// @dev Snapshots every vault and market before the call and checks after it that only the vaults in `_allowed`
    /// and only the market `_touched` changed, and that a share price fell only with bad debt.
    modifier tracked(uint256 action) {
        vm.warp(currentTime);
        ++calls[action];
        delete _allowed;
        _touched = 0;
        for (uint256 k; k < _markets.length; ++k) _badDebtInCall[_markets[k].id] = false;
        Vault[] memory vaultsBefore = _snapshotVaults();
        MarketState[] memory marketsBefore = _snapshotMarkets();
        _;
        _checkVaults(vaultsBefore, action);
        _checkMarkets(marketsBefore, action);
    }

    function _snapshotVaults() internal view returns (Vault[] memory s) {
        uint256 n = engine.vaultCount();
        s = new Vault[](n + 1);
        for (uint256 id = 1; id <= n; ++id) s[id] = engine.vault(id);
    }

    function _snapshotMarkets() internal view returns (MarketState[] memory s) {
        s = new MarketState[](_markets.length);
        for (uint256 k; k < _markets.length; ++k) s[k] = engine.marketState(_markets[k].id);
    }

    function _checkVaults(Vault[] memory before, uint256 action) internal {
        for (uint256 id = 1; id < before.length; ++id) {
            if (_isAllowed(id)) continue;
            if (!_sameVault(before[id], engine.vault(id))) {
                ++isolationViolations;
                _violation(string.concat("isolation: vault ", vm.toString(id), " changed by action ", vm.toString(action)));
            }
        }
    }

    function _checkMarkets(MarketState[] memory before, uint256 action) internal {
        for (uint256 k; k < before.length; ++k) {
            uint256 id = _markets[k].id;
            MarketState memory a = engine.marketState(id);
            if (id != _touched && !_sameMarket(before[k], a)) {
                ++marketIsolationViolations;
                _violation(string.concat("isolation: market ", vm.toString(id), " changed by action ", vm.toString(action)));
            }
            if (_sharePrice(a) < _sharePrice(before[k]) && !_badDebtInCall[id]) {
                ++sharePriceDrops;
                _violation(string.concat("share price fell without bad debt, action ", vm.toString(action)));
            }
        }
    }

    function _isAllowed(uint256 id) internal view returns (bool) {
        for (uint256 i; i < _allowed.length; ++i) if (_allowed[i] == id) return true;
        return false;
    }

    function _sameVault(Vault memory a, Vault memory b) internal pure returns (bool) {
        return a.owner == b.owner && a.marketId == b.marketId && a.closed == b.closed && a.collateral == b.collateral
            && a.debtShares == b.debtShares;
    }

    function _sameMarket(MarketState memory a, MarketState memory b) internal pure returns (bool) {
        return a.totalSupplyAssets == b.totalSupplyAssets && a.totalSupplyShares == b.totalSupplyShares
            && a.totalBorrowAssets == b.totalBorrowAssets && a.totalBorrowShares == b.totalBorrowShares
            && a.insuranceFund == b.insuranceFund && a.lastAccrual == b.lastAccrual && a.paused == b.paused
            && a.interestRemainder == b.interestRemainder;
    }

    /// @notice Lenders' share price as in the spec: (totalSupplyAssets + 1) * 1e18 / (totalSupplyShares + 1e6).
    function sharePrice(uint256 marketId) external view returns (uint256) {
        return _sharePrice(engine.marketState(marketId));
    }

    function _sharePrice(MarketState memory s) internal pure returns (uint256) {
        return (uint256(s.totalSupplyAssets) + 1) * 1e18 / (uint256(s.totalSupplyShares) + 1e6);
    }

    function _violation(string memory what) internal {
        lastViolation = what;
    }

    /// @dev A revert of an exit (repay, deposit, close, liquidation, lender withdrawal). Only `acceptable` reasons
    /// are legitimate; anything else counts, separately while the market is paused (invariant 6).
    function _exitReverted(uint256 action, bytes memory err, bool paused, bool acceptable) internal {
        if (acceptable) return;
        if (paused) ++pausedExitsBlocked;
        else ++unexpectedExitReverts;
        lastViolationData = err;
        _violation(string.concat(paused ? "paused exit blocked: action " : "exit reverted: action ", vm.toString(action)));
    }

    /// @dev A revert of an entry (supply, open, borrow, withdraw collateral): legitimate while paused with
    /// MarketPaused; otherwise counted as unanticipated (diagnostic).
    function _entryReverted(uint256 action, bytes memory err, bool paused) internal {
        if (paused && _sel(err) == IIsomarginEngine.MarketPaused.selector) {
            ++entriesRejectedByPause;
            return;
        }
        ++unanticipatedReverts[action];
    }

    function _entrySucceeded(uint256 action, bool paused) internal {
        ++successes[action];
        if (paused) {
            ++pauseBypasses;
            _violation(string.concat("pause bypassed: action ", vm.toString(action)));
        }
    }

    function _exitSucceeded(uint256 action, bool paused) internal {
        ++successes[action];
        if (paused) ++successesWhilePaused[action];
    }

    function _countLiquidated(uint256 n, bool paused) internal {
        vaultsLiquidated += n;
        if (paused) vaultsLiquidatedWhilePaused += n;
    }

    function _sel(bytes memory err) internal pure returns (bytes4 s) {
        if (err.length >= 4) s = bytes4(err);
    }

    function _isOracleError(bytes4 s) internal pure returns (bool) {
        return s == IIsomarginEngine.OracleAnswerNotPositive.selector || s == IIsomarginEngine.OracleNoTimestamp.selector
            || s == IIsomarginEngine.OracleUpdatedInFuture.selector || s == IIsomarginEngine.OracleStale.selector
            || s == IIsomarginEngine.OracleAnswerTooLarge.selector;
    }

    /* LENDER ACTIONS */

    function supply(uint256 lenderSeed, uint256 marketSeed, uint256 amount) external tracked(A_SUPPLY) {
        MarketCtx storage c = _ctx(marketSeed);
        _touched = c.id;
        address lender = lenders[lenderSeed % lenders.length];
        amount = _bound(amount, c.loanUnit, 5_000_000 * c.loanUnit);
        bool paused = engine.marketState(c.id).paused;
        c.loan.mint(lender, amount);
        vm.prank(lender);
        try engine.supply(c.id, amount, lender) {
            _entrySucceeded(A_SUPPLY, paused);
        } catch (bytes memory err) {
            _entryReverted(A_SUPPLY, err, paused);
        }
    }

    /// @notice A lender withdraws within the liquidity, or (one time in four, or when there is none) asks for more
    /// than the liquidity, which must revert InsufficientLiquidity.
    function withdraw(uint256 lenderSeed, uint256 marketSeed, uint256 amount) external tracked(A_WITHDRAW) {
        MarketCtx storage c = _ctx(marketSeed);
        _touched = c.id;
        address lender = lenders[lenderSeed % lenders.length];
        MarketState memory s = lens.expectedMarketState(c.id);
        uint256 heldAssets = engine.supplyShares(c.id, lender).toAssetsDown(s.totalSupplyAssets, s.totalSupplyShares);
        uint256 liquidity = _liquidity(s);
        bool overLiquidity = heldAssets > liquidity && (amount % 4 == 0 || liquidity == 0);
        if (overLiquidity) amount = _bound(amount, liquidity + 1, heldAssets);
        else if (Math.min(heldAssets, liquidity) == 0) return;
        else amount = _bound(amount, 1, Math.min(heldAssets, liquidity));
        vm.prank(lender);
        try engine.withdraw(c.id, amount, lender) {
            _exitSucceeded(A_WITHDRAW, s.paused);
            if (overLiquidity) {
                ++overWithdrawals;
                _violation("withdrew more than the liquidity");
            }
        } catch (bytes memory err) {
            bool ok = overLiquidity && _sel(err) == IIsomarginEngine.InsufficientLiquidity.selector;
            _exitReverted(A_WITHDRAW, err, s.paused, ok);
        }
    }

    function redeem(uint256 lenderSeed, uint256 marketSeed, uint256 shares) external tracked(A_REDEEM) {
        MarketCtx storage c = _ctx(marketSeed);
        _touched = c.id;
        address lender = lenders[lenderSeed % lenders.length];
        MarketState memory s = lens.expectedMarketState(c.id);
        uint256 held = engine.supplyShares(c.id, lender);
        // Shares whose (rounded-down) worth fits in the available liquidity.
        uint256 maxShares = Math.min(held, _liquidity(s).toSharesDown(s.totalSupplyAssets, s.totalSupplyShares));
        if (maxShares == 0) return;
        shares = _bound(shares, 1, maxShares);
        vm.prank(lender);
        try engine.redeem(c.id, shares, lender) {
            _exitSucceeded(A_REDEEM, s.paused);
        } catch (bytes memory err) {
            // A share worth less than one asset unit legitimately redeems to nothing.
            _exitReverted(A_REDEEM, err, s.paused, _sel(err) == IIsomarginEngine.ZeroAmount.selector);
        }
    }

    function fundInsurance(uint256 actorSeed, uint256 marketSeed, uint256 amount) external tracked(A_INSURANCE) {
        MarketCtx storage c = _ctx(marketSeed);
        _touched = c.id;
        address from = _actors[actorSeed % _actors.length];
        amount = _bound(amount, 1, 50_000 * c.loanUnit);
        c.loan.mint(from, amount);
        vm.prank(from);
        try engine.fundInsurance(c.id, amount) {
            ++successes[A_INSURANCE];
        } catch {
            ++unanticipatedReverts[A_INSURANCE];
        }
    }

    /* BORROWER ACTIONS */

    function openVault(uint256 borrowerSeed, uint256 marketSeed, uint256 collateral, uint256 borrowSeed)
        external
        tracked(A_OPEN)
    {
        if (vaultIds.length >= MAX_VAULTS) return;
        MarketCtx storage c = _ctx(marketSeed);
        _touched = c.id;
        address who = borrowers[borrowerSeed % borrowers.length];
        collateral = _bound(collateral, c.minCollateral, c.maxCollateral);
        uint256 borrowAssets;
        (bool priceOk, uint256 p) = _tryPrice(c.id);
        if (priceOk && borrowSeed % 5 != 0) {
            uint256 minDebt = engine.riskParams(c.id).minDebt;
            uint256 maxDebt = _maxDebtIm(c.id, collateral, p);
            // Two units of slack for the share rounding of the new debt.
            uint256 hi = Math.min(maxDebt > 2 ? maxDebt - 2 : 0, _liquidity(lens.expectedMarketState(c.id)));
            if (hi >= minDebt + 2) borrowAssets = borrowSeed % 3 == 0 ? hi : _bound(borrowSeed, minDebt + 2, hi);
        }
        bool paused = engine.marketState(c.id).paused;
        c.coll.mint(who, collateral);
        vm.prank(who);
        try engine.openVault(c.id, collateral, borrowAssets) returns (uint256 id) {
            vaultIds.push(id);
            _entrySucceeded(A_OPEN, paused);
        } catch (bytes memory err) {
            _entryReverted(A_OPEN, err, paused);
        }
    }

    function depositCollateral(uint256 actorSeed, uint256 vaultSeed, uint256 amount) external tracked(A_DEPOSIT) {
        uint256 id = _pickOpen(vaultSeed, false);
        if (id == 0) return;
        MarketCtx storage c = _targetVault(id);
        // Anyone may top up any vault.
        address from = _actors[actorSeed % _actors.length];
        amount = _bound(amount, 1, c.maxCollateral / 4);
        bool paused = engine.marketState(c.id).paused;
        c.coll.mint(from, amount);
        vm.prank(from);
        try engine.depositCollateral(id, amount) {
            _exitSucceeded(A_DEPOSIT, paused);
        } catch (bytes memory err) {
            _exitReverted(A_DEPOSIT, err, paused, false);
        }
    }

    function withdrawCollateral(uint256 vaultSeed, uint256 amount) external tracked(A_WITHDRAW_COLL) {
        uint256 id = _pickOpen(vaultSeed, false);
        if (id == 0) return;
        MarketCtx storage c = _targetVault(id);
        Vault memory v = engine.vault(id);
        uint256 room = _withdrawableCollateral(c.id, id, v);
        if (room == 0) return;
        amount = _bound(amount, 1, room);
        bool paused = engine.marketState(c.id).paused;
        vm.prank(v.owner);
        try engine.withdrawCollateral(id, amount, v.owner) {
            // Against debt it is new risk (paused with the market); from a debt-free vault it is an exit.
            if (v.debtShares > 0) _entrySucceeded(A_WITHDRAW_COLL, paused);
            else _exitSucceeded(A_WITHDRAW_COLL, paused);
        } catch (bytes memory err) {
            if (v.debtShares > 0) _entryReverted(A_WITHDRAW_COLL, err, paused);
            else _exitReverted(A_WITHDRAW_COLL, err, paused, false);
        }
    }

    function borrow(uint256 vaultSeed, uint256 amount) external tracked(A_BORROW) {
        uint256 id = _pickOpen(vaultSeed, false);
        if (id == 0) return;
        MarketCtx storage c = _targetVault(id);
        (uint256 lo, uint256 hi) = _borrowRange(c.id, id);
        if (hi == 0) return;
        amount = amount % 3 == 0 ? hi : _bound(amount, lo, hi);
        bool paused = engine.marketState(c.id).paused;
        address who = engine.vault(id).owner;
        vm.prank(who);
        try engine.borrow(id, amount, who) {
            _entrySucceeded(A_BORROW, paused);
        } catch (bytes memory err) {
            _entryReverted(A_BORROW, err, paused);
        }
    }

    /// @param mode 0: repay all with type(uint256).max; 1: exactly the debt; 2: a partial leaving at least the
    /// minimum debt; 3: any amount up to twice the debt (may legitimately leave dust and revert).
    function repay(uint256 vaultSeed, uint256 payerSeed, uint256 amount, uint256 mode) external tracked(A_REPAY) {
        uint256 id = _pickOpen(vaultSeed, true);
        if (id == 0) return;
        MarketCtx storage c = _targetVault(id);
        Vault memory v = engine.vault(id);
        // Half the time the owner repays, otherwise a third party.
        address payer = payerSeed % 2 == 0 ? v.owner : _actors[payerSeed % _actors.length];
        uint256 debt = lens.debtOf(id);
        uint256 minDebt = engine.riskParams(c.id).minDebt;
        mode %= 4;
        if (mode == 0) amount = type(uint256).max;
        else if (mode == 1) amount = debt;
        else if (mode == 2) amount = debt > minDebt + 2 ? _bound(amount, 1, debt - minDebt - 2) : debt;
        else amount = _bound(amount, 1, 2 * debt);
        _fund(c.loan, payer, debt + 1);
        bool paused = engine.marketState(c.id).paused;
        vm.prank(payer);
        try engine.repay(id, amount) {
            _exitSucceeded(A_REPAY, paused);
        } catch (bytes memory err) {
            bytes4 s = _sel(err);
            // Legitimate: the repayment would leave a debt below the minimum, or buys no share.
            bool ok = mode >= 2 && (s == IIsomarginEngine.DebtBelowMinimum.selector || s == IIsomarginEngine.ZeroAmount.selector);
            _exitReverted(A_REPAY, err, paused, ok);
        }
    }

    function closeVault(uint256 vaultSeed) external tracked(A_CLOSE) {
        uint256 id = _pickOpen(vaultSeed, false);
        if (id == 0) return;
        MarketCtx storage c = _targetVault(id);
        address who = engine.vault(id).owner;
        _fund(c.loan, who, lens.debtOf(id) + 1);
        bool paused = engine.marketState(c.id).paused;
        vm.prank(who);
        try engine.closeVault(id, who) {
            _exitSucceeded(A_CLOSE, paused);
        } catch (bytes memory err) {
            _exitReverted(A_CLOSE, err, paused, false);
        }
    }

    /* LIQUIDATIONS */

    function liquidate(uint256 liqSeed, uint256 vaultSeed, uint256 repaySeed) external tracked(A_LIQUIDATE) {
        // Mostly aim at a liquidatable vault; sometimes at any indebted one (which must then revert VaultHealthy).
        uint256 id = vaultSeed % 4 != 0 ? _pickLiquidatable(vaultSeed) : 0;
        if (id == 0) id = _pickOpen(vaultSeed, true);
        if (id == 0) return;
        MarketCtx storage c = _targetVault(id);
        address liq = liquidators[liqSeed % liquidators.length];
        Vault memory v = engine.vault(id);
        (bool priceOk, bool wasLiquidatable) = _tryIsLiquidatable(id);
        uint256 debt = lens.debtOf(id);
        uint256 maxRepay = repaySeed % 3 == 0 ? _bound(repaySeed, 1, debt) : type(uint256).max;
        _fund(c.loan, liq, 2 * debt + 1);
        MarketState memory before = lens.expectedMarketState(c.id);
        vm.recordLogs();
        vm.prank(liq);
        try engine.liquidate(id, maxRepay, 0, liq, "") returns (uint256 repaid, uint256 seized) {
            _checkLiquidatedEvents();
            if (repaid > maxRepay) {
                ++uncoveredRepayments;
                _violation(string.concat("liquidate repaid above the cap: vault ", vm.toString(id)));
            }
            _exitSucceeded(A_LIQUIDATE, before.paused);
            _countLiquidated(1, before.paused);
            if (!wasLiquidatable) {
                ++healthyLiquidations;
                _violation(string.concat("healthy vault liquidated: ", vm.toString(id)));
            }
            if (uint256(engine.vault(id).collateral) + seized != v.collateral) {
                ++badDebtAccountingViolations;
                _violation("liquidate: seized collateral does not match the vault's loss");
            }
            _checkBadDebt(id, debt, repaid, before);
        } catch (bytes memory err) {
            bytes4 s = _sel(err);
            bool ok;
            if (!priceOk) {
                ok = _isOracleError(s);
                ++liquidateRevertsBadPrice;
            } else if (!wasLiquidatable) {
                ok = s == IIsomarginEngine.VaultHealthy.selector;
                ++liquidateRevertsHealthy;
            }
            // A capped repayment may leave dust below the minimum debt or buy no share.
            else ok = maxRepay != type(uint256).max
                && (s == IIsomarginEngine.DebtBelowMinimum.selector || s == IIsomarginEngine.ZeroAmount.selector);
            _exitReverted(A_LIQUIDATE, err, before.paused, ok);
        }
    }

    /// @dev After a single liquidation that took all collateral but not all debt: the rest must have been written
    /// off (shares zeroed), insurance first, the socialized part exactly the remainder (to share rounding).
    function _checkBadDebt(uint256 id, uint256 debtBefore, uint256 repaid, MarketState memory before) internal {
        Vault memory a = engine.vault(id);
        if (a.collateral != 0 || repaid >= debtBefore) return;
        uint256 m = a.marketId;
        MarketState memory s = engine.marketState(m);
        uint256 fundBefore = uint256(before.insuranceFund) + _protocolFee(m, repaid);
        if (a.debtShares != 0 || s.insuranceFund > fundBefore || s.totalSupplyAssets > before.totalSupplyAssets) {
            ++badDebtAccountingViolations;
            _violation(string.concat("bad debt not written off for vault ", vm.toString(id)));
            return;
        }
        _recordBadDebt(
            id,
            m,
            debtBefore - repaid,
            fundBefore - s.insuranceFund,
            before.totalSupplyAssets - s.totalSupplyAssets,
            s.insuranceFund
        );
    }

    function _recordBadDebt(uint256 id, uint256 m, uint256 bad, uint256 covered, uint256 socialized, uint256 fundAfter)
        internal
    {
        bool amountOk = covered + socialized + 2 >= bad && covered + socialized <= bad + 2;
        // Insurance pays first: lenders lose only once the fund is empty.
        bool orderOk = socialized == 0 || fundAfter == 0;
        if (!amountOk || !orderOk) {
            ++badDebtAccountingViolations;
            _violation(string.concat("bad debt amount/order wrong for vault ", vm.toString(id)));
        }
        badDebtVault[id] = true;
        _badDebtInCall[m] = true;
        socializedTotal[m] += socialized;
        coveredByInsuranceTotal[m] += covered;
        ++badDebtEvents;
    }

    /// @dev Protocol fee of a liquidation repaying `repaid`, as specified: ceil(repaid * bonus * feeBps / 1e8).
    function _protocolFee(uint256 m, uint256 repaid) internal view returns (uint256) {
        RiskParams memory r = engine.riskParams(m);
        return Math.mulDiv(repaid, uint256(r.liquidationBonusBps) * r.protocolFeeBps, 1e8, Math.Rounding.Ceil);
    }

    /// @notice A batch of up to 8 ids, strictly increasing; one time in eight the ids are left unsorted or with a
    /// repeat, which must revert BatchNotSorted and move nothing.
    function liquidateBatch(uint256 liqSeed, uint256 marketSeed, uint256 idsSeed, uint256 count)
        external
        tracked(A_BATCH)
    {
        uint256 m = _ctx(marketSeed).id;
        _touched = m;
        address liq = liquidators[liqSeed % liquidators.length];
        uint256[] memory raw = _batchIds(idsSeed, _bound(count, 1, 8));
        bool unsorted = idsSeed % 8 == 0 && raw.length > 1;
        uint256[] memory ids = unsorted ? _unsorted(raw) : _sortedUnique(raw);
        if (unsorted) return _unsortedBatch(m, ids, liq);
        _sortedBatch(m, ids, liq);
    }

    function _sortedBatch(uint256 m, uint256[] memory ids, address liq) internal {
        (bool priceOk,) = _tryPrice(m);
        (bool[] memory wasLiquidatable, Vault[] memory before) = _batchPrepare(m, ids, liq, priceOk);
        bool paused = engine.marketState(m).paused;
        vm.recordLogs();
        vm.prank(liq);
        try engine.liquidateBatch(m, ids, liq, "") returns (uint256 n, uint256, uint256, uint256) {
            _checkLiquidatedEvents();
            _exitSucceeded(A_BATCH, paused);
            _countLiquidated(n, paused);
            _checkBatch(ids, wasLiquidatable, before, n, m);
        } catch (bytes memory err) {
            _exitReverted(A_BATCH, err, paused, !priceOk && _isOracleError(_sel(err)));
        }
    }

    /// @dev A batch with a repeated or out-of-order id reverts BatchNotSorted (the snapshots check nothing moved).
    function _unsortedBatch(uint256 m, uint256[] memory ids, address liq) internal {
        ++batchesRejectedUnsorted;
        vm.prank(liq);
        try engine.liquidateBatch(m, ids, liq, "") {
            ++batchCountMismatches;
            _violation("liquidateBatch accepted unsorted or repeated ids");
        } catch (bytes memory err) {
            // The order is checked as the ids are read; a bad price found first is legitimate too.
            bool ok = _sel(err) == IIsomarginEngine.BatchNotSorted.selector || _isOracleError(_sel(err));
            _exitReverted(A_BATCH, err, engine.marketState(m).paused, ok);
        }
    }

    /// @dev Every Liquidated event recorded since `vm.recordLogs()`: the repayment is covered by what the seized
    /// collateral is worth at the oracle price of the moment, less the bonus (repaid x (1 + bonus) <= value), and the
    /// liquidator's total payment (repaid + fee) is at most that value.
    function _checkLiquidatedEvents() internal {
        VmLog[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(engine) || logs[i].topics.length == 0) continue;
            if (logs[i].topics[0] != IIsomarginEngine.Liquidated.selector) continue;
            uint256 m = uint256(logs[i].topics[2]);
            (uint256 repaid,, uint256 seized, uint256 fee) = abi.decode(logs[i].data, (uint256, uint256, uint256, uint256));
            (, uint256 p) = _tryPrice(m); // the call succeeded, so the price was good (same block, same answer)
            uint256 value = Math.mulDiv(seized, p, 1e36);
            uint256 bonus = engine.riskParams(m).liquidationBonusBps;
            ++liquidationsChecked;
            if (repaid * (10_000 + bonus) > value * 10_000 || repaid + fee > value) {
                ++uncoveredRepayments;
                _violation(
                    string.concat(
                        "repayment not covered by the value seized: vault ",
                        vm.toString(uint256(logs[i].topics[1])),
                        " repaid ",
                        vm.toString(repaid),
                        " value ",
                        vm.toString(value)
                    )
                );
            }
        }
    }

    /// @dev Records each listed vault and whether it is liquidatable now (only those may change), and funds the
    /// liquidator for all of their debt.
    function _batchPrepare(uint256 m, uint256[] memory ids, address liq, bool priceOk)
        internal
        returns (bool[] memory wasLiquidatable, Vault[] memory before)
    {
        wasLiquidatable = new bool[](ids.length);
        before = new Vault[](ids.length);
        uint256 needed;
        for (uint256 i; i < ids.length; ++i) {
            before[i] = engine.vault(ids[i]);
            if (!priceOk || before[i].owner == address(0) || before[i].marketId != m || before[i].closed) continue;
            (, wasLiquidatable[i]) = _tryIsLiquidatable(ids[i]);
            if (wasLiquidatable[i]) {
                _allowed.push(ids[i]);
                needed += 2 * lens.debtOf(ids[i]) + 1;
            }
        }
        _fund(_targetMarket(m).loan, liq, needed);
    }

    /// @dev Healthy (or foreign, closed, unknown) vaults in a batch are untouched; each vault appears once, and the
    /// count is the number of vaults that changed (a liquidatable vault whose largest repayment seizes nothing is
    /// skipped, unchanged).
    function _checkBatch(uint256[] memory ids, bool[] memory wasLiq, Vault[] memory before, uint256 n, uint256 m)
        internal
    {
        uint256 changed;
        for (uint256 i; i < ids.length; ++i) {
            Vault memory a = engine.vault(ids[i]);
            if (!wasLiq[i]) {
                if (!_sameVault(before[i], a)) {
                    ++healthyLiquidations;
                    _violation(string.concat("batch touched a non-liquidatable vault: ", vm.toString(ids[i])));
                }
                continue;
            }
            if (_sameVault(before[i], a)) continue;
            ++changed;
            if (a.collateral == 0) {
                // Emptied: any debt left must have been written off (shares zeroed).
                if (a.debtShares != 0) ++badDebtAccountingViolations;
                badDebtVault[ids[i]] = true;
                _badDebtInCall[m] = true;
            }
        }
        if (n != changed) {
            ++batchCountMismatches;
            _violation("liquidateBatch count differs from the vaults it changed");
        }
    }

    function _batchIds(uint256 seed, uint256 count) internal view returns (uint256[] memory ids) {
        ids = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            if (r % 10 == 0 || vaultIds.length == 0) {
                ids[i] = engine.vaultCount() + 1 + r % 5; // unknown
            } else if (r % 3 == 0) {
                uint256 id = _pickLiquidatable(r);
                ids[i] = id == 0 ? vaultIds[r % vaultIds.length] : id;
            } else {
                ids[i] = vaultIds[r % vaultIds.length]; // any vault: healthy, closed, other market
            }
        }
    }

    /// @dev `ids` sorted, repeats dropped: a valid batch.
    function _sortedUnique(uint256[] memory ids) internal pure returns (uint256[] memory out) {
        for (uint256 i = 1; i < ids.length; ++i) {
            for (uint256 j = i; j > 0 && ids[j - 1] > ids[j]; --j) (ids[j - 1], ids[j]) = (ids[j], ids[j - 1]);
        }
        out = new uint256[](ids.length);
        uint256 n;
        for (uint256 i; i < ids.length; ++i) if (n == 0 || ids[i] != out[n - 1]) out[n++] = ids[i];
        assembly ("memory-safe") {
            mstore(out, n)
        }
    }

    /// @dev `ids` made invalid: the first id repeated after the last, so some pair is not strictly increasing.
    function _unsorted(uint256[] memory ids) internal pure returns (uint256[] memory out) {
        out = new uint256[](ids.length + 1);
        for (uint256 i; i < ids.length; ++i) out[i] = ids[i];
        out[ids.length] = ids[0] <= ids[ids.length - 1] ? ids[0] : ids[ids.length - 1];
    }

    /* NO BACKDATED INTEREST */

    /// @notice A debt-free vault (new if none) borrows within its initial margin and repays everything in the same
    /// block: it must pay back at most one unit more than it borrowed, whatever time passed before (the borrow
    /// accrues the market first, and a new borrower shares at most the sub-unit remainder).
    function borrowAndRepaySameBlock(uint256 vaultSeed, uint256 amount) external tracked(A_BORROW_REPAY) {
        uint256 id = _pickDebtFree(vaultSeed);
        if (id == 0) id = _openDebtFree(vaultSeed);
        if (id == 0) return;
        MarketCtx storage c = _targetVault(id);
        (uint256 lo, uint256 hi) = _borrowRange(c.id, id);
        if (hi == 0) return;
        amount = _bound(amount, lo, hi);
        bool paused = engine.marketState(c.id).paused;
        address who = engine.vault(id).owner;
        vm.prank(who);
        try engine.borrow(id, amount, who) {
            _entrySucceeded(A_BORROW_REPAY, paused);
        } catch (bytes memory err) {
            _entryReverted(A_BORROW_REPAY, err, paused);
            return;
        }
        _repayAllAndCheck(c.loan, id, who, amount + c.loanUnit, amount, paused);
    }

    /// @dev `who` repays all of vault `id`'s debt, `borrowed` a moment ago in the same block: at most one unit more.
    function _repayAllAndCheck(MockERC20 loan, uint256 id, address who, uint256 funds, uint256 borrowed, bool paused)
        internal
    {
        _fund(loan, who, funds);
        uint256 balance = loan.balanceOf(who);
        vm.prank(who);
        try engine.repay(id, type(uint256).max) returns (uint256 repaid, uint256) {
            ++sameBlockRoundTrips;
            uint256 paid = balance - loan.balanceOf(who);
            if (paid != repaid || paid > borrowed + 1) {
                ++backdatedInterestViolations;
                _violation(
                    string.concat(
                        "borrowed ", vm.toString(borrowed), " and repaid ", vm.toString(paid), " in the same block"
                    )
                );
            }
        } catch (bytes memory err) {
            _exitReverted(A_BORROW_REPAY, err, paused, false);
        }
    }

    /// @dev Opens a collateral-only vault (10x the market's smallest) for a borrower; 0 when the vault cap is
    /// reached or the market is paused.
    function _openDebtFree(uint256 seed) internal returns (uint256 id) {
        if (vaultIds.length >= MAX_VAULTS) return 0;
        MarketCtx storage c = _ctx(seed >> 8);
        if (engine.marketState(c.id).paused) return 0;
        address who = borrowers[seed % borrowers.length];
        uint256 collateral = 10 * c.minCollateral;
        c.coll.mint(who, collateral);
        _touched = c.id;
        vm.prank(who);
        id = engine.openVault(c.id, collateral, 0);
        vaultIds.push(id);
        _allowed.push(id);
    }

    /// @dev First open vault without debt (and with enough collateral to borrow the minimum) at or after `seed`
    /// (cyclically); 0 if none.
    function _pickDebtFree(uint256 seed) internal view returns (uint256) {
        uint256 n = vaultIds.length;
        for (uint256 j; j < n; ++j) {
            uint256 id = vaultIds[(seed % n + j) % n];
            Vault memory v = engine.vault(id);
            if (!v.closed && v.debtShares == 0 && v.collateral >= 2 * _targetMarket(v.marketId).minCollateral) return id;
        }
        return 0;
    }

    /* ENVIRONMENT AND ADMIN */

    /// @notice Time passes (1 s to 2 days) and one market accrues; oracles are usually refreshed, sometimes left stale.
    function accrue(uint256 marketSeed, uint256 secs, uint256 refreshSeed) external tracked(A_ACCRUE) {
        MarketCtx storage c = _ctx(marketSeed);
        _touched = c.id;
        currentTime += _bound(secs, 1, 2 days);
        vm.warp(currentTime);
        if (refreshSeed % 4 != 0) {
            for (uint256 k; k < _markets.length; ++k) _postAnswer(_markets[k], _answer(_markets[k]));
        }
        try engine.accrueInterest(c.id) {
            ++successes[A_ACCRUE];
        } catch {
            ++unanticipatedReverts[A_ACCRUE];
        }
    }

    /// @notice Moves a price: usually by -20%..+22%, one time in eight a jump anywhere in 10%..300% of the start
    /// (crashes included); always within 10%..300% of the start.
    function setPrice(uint256 marketSeed, uint256 moveSeed) external tracked(A_PRICE) {
        MarketCtx storage c = _ctx(marketSeed);
        uint256 start = uint256(c.startAnswer);
        uint256 next;
        if (moveSeed % 8 == 0) next = start * _bound(moveSeed / 8, 10, 300) / 100;
        else next = uint256(_answer(c)) * _bound(moveSeed / 8, 80, 122) / 100;
        next = Math.max(Math.min(next, start * 3), start / 10);
        _postAnswer(c, int256(next));
        ++successes[A_PRICE];
    }

    /// @notice Drops the price of an indebted vault's market to 50..99% of the vault's liquidation price (never below
    /// 10% of the start), so liquidations and bad debt happen often; a vault priced strictly below its liquidation
    /// price must then be liquidatable.
    function crashBelowLiquidationPrice(uint256 vaultSeed, uint256 depthSeed) external tracked(A_CRASH) {
        uint256 id = _pickOpen(vaultSeed, true);
        if (id == 0) return;
        MarketCtx storage c = _targetMarket(engine.vault(id).marketId);
        uint256 liqPrice = lens.liquidationPrice(id);
        uint256 floor_ = uint256(c.startAnswer) / 10;
        if (liqPrice > 3 * uint256(c.startAnswer)) liqPrice = 3 * uint256(c.startAnswer);
        uint256 next = Math.max(liqPrice * _bound(depthSeed, 50, 99) / 100, floor_);
        _postAnswer(c, int256(next));
        ++successes[A_CRASH];
        (bool ok, bool liquidatable) = _tryIsLiquidatable(id);
        if (next < lens.liquidationPrice(id) && !(ok && liquidatable)) {
            ++liquidationPriceViolations;
            _violation(string.concat("priced below liquidationPrice but not liquidatable: vault ", vm.toString(id)));
        }
    }

    /// @notice The guardian pauses (one time in three) or unpauses a market.
    function setPaused(uint256 marketSeed, uint256 flagSeed) external tracked(A_PAUSE) {
        MarketCtx storage c = _ctx(marketSeed);
        _touched = c.id;
        vm.prank(guardian);
        engine.setPaused(c.id, flagSeed % 3 == 0);
        ++successes[A_PAUSE];
    }

    /// @notice The owner sets maintenance margins to the defaults plus 0..5% (a rise ramps in over 1..7 days, a
    /// fall is immediate); initial margins are unchanged.
    function setMarginTiers(uint256 marketSeed, uint256 deltaSeed, uint256 rampSeed) external tracked(A_MARGINS) {
        MarketCtx storage c = _ctx(marketSeed);
        _touched = c.id;
        uint16 delta = uint16(_bound(deltaSeed, 0, 500));
        uint16[] memory im = new uint16[](3);
        uint16[] memory mm = new uint16[](3);
        for (uint256 i; i < 3; ++i) im[i] = engine.tier(c.id, i).imBps;
        (mm[0], mm[1], mm[2]) = (MM0 + delta, MM1 + delta, MM2 + delta);
        uint32 ramp = uint32(_bound(rampSeed, 1 days, 7 days));
        vm.prank(owner);
        try engine.setMarginTiers(c.id, im, mm, ramp) {
            ++successes[A_MARGINS];
        } catch {
            ++unanticipatedReverts[A_MARGINS];
        }
    }

    /* HELPERS */

    function _ctx(uint256 seed) internal view returns (MarketCtx storage) {
        return _markets[seed % _markets.length];
    }

    /// @dev Marks vault `id` (and its market) as the target of this call and returns its market.
    function _targetVault(uint256 id) internal returns (MarketCtx storage) {
        uint256 m = engine.vault(id).marketId;
        _touched = m;
        _allowed.push(id);
        return _targetMarket(m);
    }

    function _targetMarket(uint256 m) internal view returns (MarketCtx storage) {
        for (uint256 k; k < _markets.length; ++k) if (_markets[k].id == m) return _markets[k];
        revert("unknown market");
    }

    function _answer(MarketCtx storage c) internal view returns (int256 a) {
        (, a,,,) = c.oracle.latestRoundData();
    }

    function _postAnswer(MarketCtx storage c, int256 a) internal {
        vm.prank(owner);
        c.oracle.setAnswer(a);
    }

    function _fund(MockERC20 token, address who, uint256 amount) internal {
        uint256 bal = token.balanceOf(who);
        if (bal < amount) token.mint(who, amount - bal);
    }

    function _liquidity(MarketState memory s) internal pure returns (uint256) {
        return s.totalSupplyAssets > s.totalBorrowAssets ? s.totalSupplyAssets - s.totalBorrowAssets : 0;
    }

    function _tryPrice(uint256 m) internal view returns (bool, uint256) {
        try lens.price(m) returns (uint256 p) {
            return (true, p);
        } catch {
            return (false, 0);
        }
    }

    function _tryIsLiquidatable(uint256 id) internal view returns (bool ok, bool liquidatable) {
        try lens.isLiquidatable(id) returns (bool b) {
            return (true, b);
        } catch {
            return (false, false);
        }
    }

    function _imTiers(uint256 m) internal view returns (uint256[] memory mins, uint256[] memory im) {
        uint256 n = engine.marketConfig(m).tierCount;
        mins = new uint256[](n);
        im = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            TierState memory t = engine.tier(m, i);
            (mins[i], im[i]) = (t.minValue, t.imBps);
        }
    }

    /// @dev Largest debt `collateral` may carry under the initial margins at price `p`.
    function _maxDebtIm(uint256 m, uint256 collateral, uint256 p) internal view returns (uint256) {
        (uint256[] memory mins, uint256[] memory im) = _imTiers(m);
        return MarginLib.maxDebt(Math.mulDiv(collateral, p, 1e36), mins, im);
    }

    /// @dev Range of a new borrow keeping the vault within its initial margin, the liquidity and the minimum debt;
    /// (0, 0) when there is none or no valid price.
    function _borrowRange(uint256 m, uint256 id) internal view returns (uint256 lo, uint256 hi) {
        (bool ok, uint256 p) = _tryPrice(m);
        if (!ok) return (0, 0);
        uint256 debt = lens.debtOf(id);
        uint256 maxDebt = _maxDebtIm(m, engine.vault(id).collateral, p);
        if (maxDebt <= debt + 2) return (0, 0);
        hi = Math.min(maxDebt - debt - 2, _liquidity(lens.expectedMarketState(m)));
        uint256 minDebt = engine.riskParams(m).minDebt;
        lo = debt + 2 >= minDebt ? 1 : minDebt - debt + 2;
        if (hi < lo) return (0, 0);
    }

    /// @dev Collateral the owner may take out while keeping the initial margin (all of it without debt).
    function _withdrawableCollateral(uint256 m, uint256 id, Vault memory v) internal view returns (uint256) {
        if (v.debtShares == 0) return v.collateral;
        (bool ok, uint256 p) = _tryPrice(m);
        if (!ok) return 0;
        (uint256[] memory mins, uint256[] memory im) = _imTiers(m);
        uint256 valueNeeded = MarginLib.valueAtMaxDebt(lens.debtOf(id) + 2, mins, im);
        uint256 needed = Math.mulDiv(valueNeeded, 1e36, p, Math.Rounding.Ceil) + 1;
        return v.collateral > needed ? v.collateral - needed : 0;
    }

    /// @dev First open vault at or after `seed` (cyclically), with debt if `withDebt`; 0 if none.
    function _pickOpen(uint256 seed, bool withDebt) internal view returns (uint256) {
        uint256 n = vaultIds.length;
        for (uint256 j; j < n; ++j) {
            uint256 id = vaultIds[(seed % n + j) % n];
            Vault memory v = engine.vault(id);
            if (!v.closed && (!withDebt || v.debtShares > 0)) return id;
        }
        return 0;
    }

    function _pickLiquidatable(uint256 seed) internal view returns (uint256) {
        uint256 n = vaultIds.length;
        for (uint256 j; j < n; ++j) {
            uint256 id = vaultIds[(seed % n + j) % n];
            Vault memory v = engine.vault(id);
            if (v.closed || v.debtShares == 0) continue;
            (, bool liq) = _tryIsLiquidatable(id);
            if (liq) return id;
        }
        return 0;
    }

    /// @dev Maps `x` into [min, max] (inclusive) without discarding fuzz runs (same as BaseTest._bound).
    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (max <= min) return min;
        if (x >= min && x <= max) return x;
        return min + (x % (max - min + 1));
    }
}

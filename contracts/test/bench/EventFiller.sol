// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IIsomarginEngine, MarketConfig} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @title EventFiller
/// @notice Benchmark helper for the indexer (`make bench-indexer`): fills a local chain with engine events, hundreds
/// per transaction. One filler serves one market of mock tokens: it lends, opens vaults (it owns them), deposits,
/// borrows and repays, moves the market's price (it must own the mock feed) and liquidates its own vaults, some into
/// bad debt. Local chains only: it mints the mock tokens it needs.
contract EventFiller {
    IIsomarginEngine public immutable engine;
    uint256 public immutable marketId;
    MockERC20 public immutable loan;
    MockERC20 public immutable collateral;
    MockAggregator public immutable feed;

    /// @notice The vaults `fill` opened, which its deposits, borrows and repays cycle over.
    uint256[] public vaults;
    /// @notice Index into `vaults` of the next vault to operate on.
    uint256 public nextVault;
    /// @notice How many `fill` operations ran so far (chooses deposit, borrow or repay, and when to move the price).
    uint256 public operations;

    constructor(IIsomarginEngine engine_, uint256 marketId_) {
        MarketConfig memory c = engine_.marketConfig(marketId_);
        engine = engine_;
        marketId = marketId_;
        loan = MockERC20(c.loanToken);
        collateral = MockERC20(c.collateralToken);
        feed = MockAggregator(c.oracle);
        loan.approve(address(engine_), type(uint256).max);
        collateral.approve(address(engine_), type(uint256).max);
    }

    /// @notice Mints `assets` loan tokens and supplies them (liquidity for the vaults), plus `reserve` more kept for
    /// repayments and liquidations.
    function supply(uint256 assets, uint256 reserve) external {
        loan.mint(address(this), assets + reserve);
        engine.supply(marketId, assets, address(this));
    }

    /// @notice Opens `opens` vaults with `coll` collateral and `debt` borrowed each, then runs `ops` operations over
    /// the open vaults in turn: a deposit of `step` collateral, a borrow of `loanStep`, a repay of `loanStep`, and so
    /// on; every `priceEvery` operations (0: never) the feed's answer moves by one basis point around `answer`.
    function fill(
        uint256 opens,
        uint256 coll,
        uint256 debt,
        uint256 ops,
        uint256 step,
        uint256 loanStep,
        uint256 priceEvery,
        int256 answer
    ) external {
        collateral.mint(address(this), opens * coll + ops * step);
        for (uint256 i; i < opens; ++i) {
            vaults.push(engine.openVault(marketId, coll, debt));
        }
        uint256 n = vaults.length;
        uint256 k = operations;
        uint256 v = nextVault;
        for (uint256 i; i < ops; ++i) {
            uint256 id = vaults[v];
            uint256 kind = k % 3;
            if (kind == 0) engine.depositCollateral(id, step);
            else if (kind == 1) engine.borrow(id, loanStep, address(this));
            else engine.repay(id, loanStep);
            ++k;
            if (priceEvery != 0 && k % priceEvery == 0) {
                feed.setAnswer((k / priceEvery) % 2 == 0 ? answer : answer + answer / 10_000);
            }
            // a vault gets a deposit, a borrow and a repay in a row, so its debt never drifts
            if (kind == 2) v = v + 1 == n ? 0 : v + 1;
        }
        operations = k;
        nextVault = v;
    }

    /// @notice Opens `count` vaults at `coll` collateral and `debt` borrowed (near the initial margin), moves the
    /// price to `crashAnswer`, liquidates each of them, and moves it back to `answer`. A crash deep enough leaves the
    /// vaults under water: their liquidations realize bad debt.
    function liquidationRound(uint256 count, uint256 coll, uint256 debt, int256 crashAnswer, int256 answer) external {
        collateral.mint(address(this), count * coll);
        uint256[] memory ids = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            ids[i] = engine.openVault(marketId, coll, debt);
        }
        feed.setAnswer(crashAnswer);
        for (uint256 i; i < count; ++i) {
            engine.liquidate(ids[i], type(uint256).max, 0, address(this), "");
        }
        feed.setAnswer(answer);
    }
}

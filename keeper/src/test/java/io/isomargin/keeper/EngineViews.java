package io.isomargin.keeper;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginLens;
import io.isomargin.abi.contracts.MockAggregator;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.keeper.book.BookScope;
import io.isomargin.keeper.book.OraclePrice;
import io.isomargin.keeper.book.PositionBook;
import io.isomargin.keeper.book.TrackedMarket;
import io.isomargin.keeper.book.VaultPosition;
import io.isomargin.keeper.risk.MarketAtBlock;
import io.isomargin.keeper.risk.VaultHealth;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * The engine's raw state and its lens's views pinned to one block, and the differences between them and the keeper's
 * book and math.
 */
public final class EngineViews {
    private final Deployment d;
    private final IsomarginEngine engine;
    private final IsomarginLens lens;
    private final long block;
    private final long timestamp;

    public EngineViews(Deployment d, long block) throws Exception {
        this.d = d;
        this.block = block;
        var web3j = d.chain().web3j();
        this.engine = IsomarginEngine.load(d.engine().getContractAddress(), web3j,
                new ReadonlyTransactionManager(web3j, d.deployer().getAddress()),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
        engine.setDefaultBlockParameter(at());
        this.lens = IsomarginLens.load(d.lens().getContractAddress(), web3j,
                new ReadonlyTransactionManager(web3j, d.deployer().getAddress()),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
        lens.setDefaultBlockParameter(at());
        this.timestamp = web3j.ethGetBlockByNumber(at(), false).send().getBlock().getTimestamp().longValueExact();
    }

    public long timestamp() {
        return timestamp;
    }

    private DefaultBlockParameter at() {
        return DefaultBlockParameter.valueOf(BigInteger.valueOf(block));
    }

    /** Every vault, market and price of the scope on which the book and the engine disagree. */
    public List<String> bookDifferences(PositionBook book, BookScope scope) throws Exception {
        List<String> out = new ArrayList<>();
        long count = engine.vaultCount().send().longValueExact();
        int inScope = 0;
        for (long id = 1; id <= count; id++) {
            IsomarginEngine.Vault v = engine.vault(BigInteger.valueOf(id)).send();
            boolean expected = scope.follows(v.marketId.longValueExact()) && !v.closed;
            VaultPosition b = book.vault(id);
            if (expected) inScope++;
            if (expected != (b != null)) {
                out.add("vault " + id + ": engine " + (expected ? "open" : "closed or out of scope") + ", book "
                        + (b == null ? "absent" : "present"));
            } else if (b != null) {
                check(out, "vault " + id + " owner", v.owner.toLowerCase(Locale.ROOT), b.owner());
                check(out, "vault " + id + " market", v.marketId.longValueExact(), b.marketId());
                check(out, "vault " + id + " collateral", v.collateral, b.collateral());
                check(out, "vault " + id + " debtShares", v.debtShares, b.debtShares());
            }
        }
        check(out, "open vaults in scope", inScope, book.vaultCount());
        for (long marketId : scope.oracleByMarket().keySet()) {
            TrackedMarket m = book.market(marketId);
            if (m == null) {
                out.add("market " + marketId + " absent from the book");
                continue;
            }
            IsomarginEngine.MarketState s = engine.marketState(BigInteger.valueOf(marketId)).send();
            String p = "market " + marketId + " ";
            check(out, p + "totalBorrowAssets", s.totalBorrowAssets, m.totals().totalBorrowAssets());
            check(out, p + "totalBorrowShares", s.totalBorrowShares, m.totals().totalBorrowShares());
            check(out, p + "totalSupplyAssets", s.totalSupplyAssets, m.totals().totalSupplyAssets());
            check(out, p + "insuranceFund", s.insuranceFund, m.totals().insuranceFund());
            check(out, p + "lastAccrual", s.lastAccrual.longValueExact(), m.totals().lastAccrual());
            check(out, p + "interestRemainder", s.interestRemainder, m.totals().interestRemainder());
            IsomarginEngine.RiskParams r = engine.riskParams(BigInteger.valueOf(marketId)).send();
            check(out, p + "closeFactor", r.closeFactorBps.intValueExact(), m.terms().closeFactorBps());
            check(out, p + "reserveFactor", r.reserveFactorBps.intValueExact(), m.reserveFactorBps());
            check(out, p + "maxOracleAge", r.maxOracleAge.longValueExact(), m.maxOracleAge());
            for (int i = 0; i < m.tiers().size(); i++) {
                IsomarginEngine.TierState t = engine.tier(BigInteger.valueOf(marketId), BigInteger.valueOf(i)).send();
                check(out, p + "tier " + i + " mmTo", t.mmToBps.intValueExact(), m.tiers().get(i).mmToBps());
                check(out, p + "tier " + i + " mmFrom", t.mmFromBps.intValueExact(), m.tiers().get(i).mmFromBps());
                check(out, p + "tier " + i + " rampStart", t.rampStart.longValueExact(), m.tiers().get(i).rampStart());
                check(out, p + "tier " + i + " rampEnd", t.rampEnd.longValueExact(), m.tiers().get(i).rampEnd());
            }
            MockAggregator feed = MockAggregator.load(m.oracle(), d.chain().web3j(),
                    new ReadonlyTransactionManager(d.chain().web3j(), m.oracle()),
                    new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
            feed.setDefaultBlockParameter(at());
            var round = feed.latestRoundData().send();
            OraclePrice price = book.price(m.oracle());
            if (price == null) {
                out.add(p + "price absent from the book");
            } else {
                check(out, p + "answer", round.component2(), price.answer());
                check(out, p + "updatedAt", round.component4().longValueExact(), price.updatedAt());
            }
        }
        return out;
    }

    /** Every vault whose debt, health, liquidatable flag or liquidation price differs between the keeper and the lens. */
    public List<String> healthDifferences(PositionBook book, BookScope scope) throws Exception {
        List<String> out = new ArrayList<>();
        for (long marketId : scope.oracleByMarket().keySet()) {
            TrackedMarket m = book.market(marketId);
            MarketAtBlock at = new MarketAtBlock(m, book.price(m.oracle()), timestamp);
            for (VaultPosition v : List.copyOf(book.vaultsOf(marketId))) {
                BigInteger id = BigInteger.valueOf(v.id());
                VaultHealth h = at.health(v);
                String p = "vault " + v.id() + " @#" + block + " ";
                check(out, p + "debt", lens.debtOf(id).send(), h.debt());
                check(out, p + "health", lens.health(id).send(), h.health());
                check(out, p + "isLiquidatable", lens.isLiquidatable(id).send(), h.liquidatable());
                check(out, p + "liquidationPrice", lens.liquidationPrice(id).send(), h.liquidationPrice());
            }
        }
        return out;
    }

    /** The ids of the vaults the lens says are liquidatable, among {@code ids}. */
    public Set<Long> liquidatable(Iterable<Long> ids) throws Exception {
        Set<Long> out = new TreeSet<>();
        for (long id : ids) {
            if (lens.isLiquidatable(BigInteger.valueOf(id)).send()) out.add(id);
        }
        return out;
    }

    private static void check(List<String> out, String what, Object engine, Object keeper) {
        if (!engine.equals(keeper)) out.add(what + ": engine " + engine + ", keeper " + keeper);
    }
}

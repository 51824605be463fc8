package io.isomargin.bench;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.TestChain;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.bench.contracts.EventFiller;
import java.math.BigInteger;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.TransactionManager;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.tx.response.NoOpProcessor;

/**
 * Fills a {@link Deployment}'s chain with engine and oracle events through one {@link EventFiller} per market (WETH/USDC
 * and LINK/USDC): vault openings, deposits, borrows, repays, price updates, and now and then a round of liquidations
 * (into bad debt on WETH/USDC, partial on LINK/USDC). Every filler transaction is one block (automining) carrying about
 * {@code eventsPerTx} events.
 */
final class ChainFiller {
    /** Per filler transaction; the block gas limit is Anvil's default 30M. */
    private static final BigInteger TX_GAS = BigInteger.valueOf(29_000_000L);
    /** A liquidation round after this many fill transactions of a market. */
    private static final int LIQUIDATION_EVERY = 10;
    private static final int LIQUIDATIONS_PER_ROUND = 10;
    /** The feed's answer moves every this many operations. */
    private static final int PRICE_EVERY = 50;

    private final Deployment d;
    private final Credentials sender;
    private final List<Market> markets;
    private final Set<String> followed;
    private int fills;

    /** One market's filler and the amounts that suit its prices and margins. */
    private record Market(EventFiller filler, BigInteger coll, BigInteger debt, BigInteger step, BigInteger loanStep,
            BigInteger answer, BigInteger liqColl, BigInteger liqDebt, BigInteger crashAnswer) {}

    private ChainFiller(Deployment d, Credentials sender, List<Market> markets) {
        this.d = d;
        this.sender = sender;
        this.markets = markets;
        this.followed = Set.of(lower(d.engine().getContractAddress()), lower(d.wethFeed().getContractAddress()),
                lower(d.linkFeed().getContractAddress()));
    }

    /**
     * Deploys a filler per default market (sent by dev account 1), hands it the market's feed and lets it supply
     * liquidity.
     */
    static ChainFiller deploy(Deployment d) {
        TestChain chain = d.chain();
        Credentials sender = chain.credentials(1);
        TransactionManager tm = chain.txManager(sender);
        StaticGasProvider gas = new StaticGasProvider(AnvilChain.GAS_PRICE, TX_GAS);
        try {
            EventFiller weth = EventFiller.deploy(chain.web3j(), tm, gas, d.engine().getContractAddress(),
                    d.wethMarket()).send();
            EventFiller link = EventFiller.deploy(chain.web3j(), tm, gas, d.engine().getContractAddress(),
                    d.linkMarket()).send();
            d.wethFeed().transferOwnership(weth.getContractAddress()).send();
            d.linkFeed().transferOwnership(link.getContractAddress()).send();
            BigInteger liquidity = Deployment.units(1_000_000_000L, 6);
            weth.supply(liquidity, liquidity.divide(BigInteger.TEN)).send();
            link.supply(liquidity, liquidity.divide(BigInteger.TEN)).send();
            // WETH at $2,000 (10% maintenance, 20% initial): vaults of 1 WETH owing $1,000; liquidation vaults owe
            // $1,560 and the price falls to $1,600, below the debt plus the 5% bonus: under water, bad debt.
            Market wethMarket = new Market(weth, Deployment.units(1, 18), Deployment.units(1_000, 6),
                    Deployment.units(1, 15), Deployment.units(10, 6), Deployment.WETH_PRICE,
                    Deployment.units(1, 18), Deployment.units(1_560, 6), BigInteger.valueOf(1_600_00000000L));
            // LINK at $15 (15% maintenance, 30% initial): vaults of 100 LINK owing $750; liquidation vaults owe $1,000
            // and the price falls to $11.25: liquidatable, not under water, so liquidated in part.
            Market linkMarket = new Market(link, Deployment.units(100, 18), Deployment.units(750, 6),
                    Deployment.units(1, 17), Deployment.units(10, 6), Deployment.LINK_PRICE,
                    Deployment.units(100, 18), Deployment.units(1_000, 6), BigInteger.valueOf(11_25000000L));
            return new ChainFiller(d, sender, List.of(wethMarket, linkMarket));
        } catch (Exception e) {
            throw new IllegalStateException("deploying the event fillers failed: " + e.getMessage(), e);
        }
    }

    /**
     * Sends fill transactions, alternating markets, until at least {@code events} followed logs were emitted;
     * returns how many were.
     */
    long fill(long events, int eventsPerTx, ProgressPrinter progress) {
        long emitted = 0;
        while (emitted < events) {
            emitted += followedLogs(send(nextFill(eventsPerTx)));
            progress.print(emitted, events);
        }
        return emitted;
    }

    /** The next transaction of the rotation: a fill, or after every few fills of a market a liquidation round. */
    private Call nextFill(int eventsPerTx) {
        Market m = markets.get(fills % markets.size());
        int perMarket = fills / markets.size();
        fills++;
        if (perMarket % LIQUIDATION_EVERY == LIQUIDATION_EVERY - 1) {
            return () -> m.filler().liquidationRound(BigInteger.valueOf(LIQUIDATIONS_PER_ROUND), m.liqColl(),
                    m.liqDebt(), m.crashAnswer(), m.answer()).send();
        }
        // an opening emits 4 events (VaultOpened, CollateralDeposited, Borrowed, MarketStateUpdated), a deposit 1, a
        // borrow or a repay 2 (with MarketStateUpdated), a price update 2 (NewRound, AnswerUpdated): a fifth of the
        // events from openings, the rest from operations at about 5/3 events each
        int opens = Math.max(1, eventsPerTx / 20);
        int ops = Math.max(3, (eventsPerTx - 4 * opens) * 3 / 5);
        return () -> m.filler().fill(BigInteger.valueOf(opens), m.coll(), m.debt(), BigInteger.valueOf(ops),
                m.step(), m.loanStep(), BigInteger.valueOf(PRICE_EVERY), m.answer()).send();
    }

    /**
     * A transaction manager for the live load: sends without waiting for the receipt (interval mining includes it in
     * the next block).
     */
    Runnable liveSender(int eventsPerTx) {
        TestChain chain = d.chain();
        TransactionManager fireAndForget = new RawTransactionManager(chain.web3j(), sender, chain.chainId(),
                new NoOpProcessor(chain.web3j()));
        StaticGasProvider gas = new StaticGasProvider(AnvilChain.GAS_PRICE, TX_GAS);
        List<EventFiller> live = markets.stream()
                .map(m -> EventFiller.load(m.filler().getContractAddress(), chain.web3j(), fireAndForget, gas))
                .toList();
        return () -> {
            Market m = markets.get(fills % markets.size());
            EventFiller f = live.get(fills % markets.size());
            fills++;
            int opens = Math.max(1, eventsPerTx / 20);
            int ops = Math.max(3, (eventsPerTx - 4 * opens) * 3 / 5);
            send(() -> f.fill(BigInteger.valueOf(opens), m.coll(), m.debt(), BigInteger.valueOf(ops), m.step(),
                    m.loanStep(), BigInteger.valueOf(PRICE_EVERY), m.answer()).send());
        };
    }

    private long followedLogs(TransactionReceipt receipt) {
        if (!receipt.isStatusOK()) {
            throw new IllegalStateException("fill transaction " + receipt.getTransactionHash() + " failed: status "
                    + receipt.getStatus() + ", gas used " + receipt.getGasUsed());
        }
        return receipt.getLogs().stream().filter(l -> followed.contains(lower(l.getAddress()))).count();
    }

    /** A contract call that may throw a checked exception. */
    @FunctionalInterface
    private interface Call {
        TransactionReceipt send() throws Exception;
    }

    private static TransactionReceipt send(Call call) {
        try {
            return call.send();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("fill transaction failed: " + e.getMessage(), e);
        }
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** Reports filling progress now and then. */
    @FunctionalInterface
    interface ProgressPrinter {
        void print(long emitted, long target);
    }
}

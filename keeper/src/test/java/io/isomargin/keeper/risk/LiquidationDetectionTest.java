package io.isomargin.keeper.risk;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.math.FullMath;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.keeper.EngineViews;
import io.isomargin.keeper.KeeperBookHarness;
import io.isomargin.keeper.Population;
import io.isomargin.keeper.book.VaultPosition;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;

/**
 * The book built from chain events, its exact health and the liquidation-price index against the lens's views on
 * a real chain: a population of vaults of every size near their limits, random price moves up and down, interest
 * over hours and days, a maintenance-margin ramp in progress, vaults opened, borrowed on and liquidated while the
 * keeper follows.
 */
@ExtendWith(AnvilExtension.class)
class LiquidationDetectionTest {
    private final Random random = new Random(5);

    @Test
    void detectedVaultsAreExactlyThoseTheEngineSaysAreLiquidatableAfterEveryPriceMove(AnvilChain chain, Deployment d)
            throws Exception {
        Credentials lender = chain.credentials(1);
        Credentials borrower = chain.credentials(2);
        Credentials liquidator = chain.credentials(3);
        d.fundAndSupply(lender, d.wethMarket(), units(200_000_000, 6));
        d.fundAndSupply(lender, d.linkMarket(), units(200_000_000, 6));
        d.mintAndApprove(liquidator, d.usdc().getContractAddress(), units(500_000_000, 6));
        Population.open(d, borrower, d.wethMarket(), 40, random);
        Population.open(d, borrower, d.linkMarket(), 15, random);

        try (KeeperBookHarness keeper = KeeperBookHarness.fromChain(d).start()) {
            EngineViews start = new EngineViews(d, chain.blockNumber());
            assertEquals(List.of(), start.bookDifferences(keeper.book, keeper.scope), "book after backfill");
            assertEquals(List.of(), start.healthDifferences(keeper.book, keeper.scope), "health after backfill");

            rampMaintenanceMargins(d, d.wethMarket(), 3 * 86_400L);
            int liquidatableSeen = 0;
            int cleanSeen = 0;
            int liquidations = 0;
            for (int round = 0; round < 14; round++) {
                if (round % 3 == 1) chain.increaseTime(600 + random.nextInt(5 * 3_600)); // interest, ramp, horizon
                if (round % 4 == 2) {
                    Population.open(d, borrower, d.wethMarket(), 2, random); // live vaults
                }
                move(d, d.wethMarket(), Deployment.WETH_PRICE, 0.70 + random.nextDouble() * 0.3);
                move(d, d.linkMarket(), Deployment.LINK_PRICE, 0.62 + random.nextDouble() * 0.33);
                keeper.catchUp();
                long head = chain.blockNumber();
                EngineViews views = new EngineViews(d, head);
                for (BigInteger market : List.of(d.wethMarket(), d.linkMarket())) {
                    long m = market.longValueExact();
                    List<Long> ids = keeper.book.vaultsOf(m).stream().map(VaultPosition::id).toList();
                    Set<Long> engine = views.liquidatable(ids);
                    LiquidationCandidates c = keeper.detector.latest().get(m);
                    assertEquals(head, c.block());
                    Set<Long> detected = new TreeSet<>(c.vaults().stream().map(LiquidatableVault::vaultId).toList());
                    assertEquals(engine, detected, "market " + m + " round " + round + " at #" + head);
                    Set<Long> candidates = new TreeSet<>();
                    for (long id : keeper.detector.indexCandidates(m, c.oracle().answer())) candidates.add(id);
                    assertTrue(candidates.containsAll(engine), "index missed " + engine + " vs " + candidates);
                    assertTrue(c.examined() < ids.size() || engine.size() == ids.size(),
                            "the index should narrow the check: examined " + c.examined() + " of " + ids.size());
                    if (!engine.isEmpty()) liquidatableSeen++;
                    if (engine.size() < ids.size()) cleanSeen++;
                }
                if (round % 5 == 4) {
                    assertEquals(List.of(), views.healthDifferences(keeper.book, keeper.scope), "round " + round);
                }
                // a competitor liquidates one vault: the book follows its Liquidated event
                LiquidationCandidates weth = keeper.detector.latest().get(d.wethMarket().longValueExact());
                if (round % 3 == 0 && !weth.vaults().isEmpty()) {
                    BigInteger id = BigInteger.valueOf(weth.vaults().get(0).vaultId());
                    d.engineAs(liquidator).liquidate(id, FullMath.UINT256_MAX, BigInteger.ONE,
                            liquidator.getAddress(), new byte[0]).send();
                    liquidations++;
                }
            }
            keeper.catchUp();
            EngineViews end = new EngineViews(d, chain.blockNumber());
            assertEquals(List.of(), end.bookDifferences(keeper.book, keeper.scope), "book at the end");
            assertEquals(List.of(), end.healthDifferences(keeper.book, keeper.scope), "health at the end");
            System.out.printf("detection rounds: %d market-rounds with liquidatable vaults, %d with healthy ones, "
                    + "%d liquidations, %d index builds%n", liquidatableSeen, cleanSeen, liquidations,
                    keeper.detector.rebuilds());
            assertTrue(liquidatableSeen >= 5, "too few rounds with liquidatable vaults: " + liquidatableSeen);
            assertTrue(cleanSeen >= 5, "too few rounds with healthy vaults: " + cleanSeen);
            assertTrue(liquidations >= 1, "no liquidation happened");
            assertTrue(keeper.detector.rebuilds() > 2, "time past the horizon should have rebuilt an index");
        }
    }

    private static void move(Deployment d, BigInteger market, BigInteger initial, double factor) {
        d.setPrice(market, new BigDecimal(initial).multiply(BigDecimal.valueOf(factor)).toBigInteger());
    }

    /** Raises every tier's maintenance margin by 3 points over {@code duration} seconds. */
    static void rampMaintenanceMargins(Deployment d, BigInteger marketId, long duration) throws Exception {
        IsomarginEngine e = d.engine();
        int n = e.marketConfig(marketId).send().tierCount.intValueExact();
        List<BigInteger> im = new ArrayList<>();
        List<BigInteger> mm = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            IsomarginEngine.TierState t = e.tier(marketId, BigInteger.valueOf(i)).send();
            im.add(t.imBps);
            mm.add(t.mmToBps.add(BigInteger.valueOf(300)));
        }
        e.setMarginTiers(marketId, im, mm, BigInteger.valueOf(duration)).send();
    }
}

package io.isomargin.keeper.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * No transaction the keeper sends or simulates asks for more gas than one transaction may have (EIP-7825, 2^24 from
 * Osaka): a node refuses such a transaction and such an {@code eth_call} outright. A Hardhat 2 node enforces it; its
 * refusal of 50-vault top-up batches left those vaults untopped block after block in the 2,000-vault demo.
 */
class TransactionGasCapTest {
    private static final BigInteger CAP = BigInteger.valueOf(LiquidationExecutor.MAX_TX_GAS);

    private record Vault(long id, BigInteger gas) {}

    @Test
    void topUpBatchesStayUnderTheCapAndKeepEveryVaultInOrder() {
        List<Vault> vaults = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            vaults.add(new Vault(i, BigInteger.valueOf(250_000 + 3_000L * (i % 50)))); // 250k..397k gas each
        }
        List<List<Vault>> batches = TopUpExecutor.batches(vaults, Vault::gas);
        List<Vault> flat = new ArrayList<>();
        for (List<Vault> b : batches) {
            assertTrue(b.size() <= TopUpExecutor.MAX_BATCH, "at most the guard's MAX_BATCH: " + b.size());
            BigInteger gas = TopUpExecutor.batchGasOf(b.stream().map(Vault::gas).toList());
            BigInteger limit = TopUpExecutor.wantedGasLimit(gas, b.size());
            assertTrue(limit.compareTo(CAP) <= 0, "a batch of " + b.size() + " wants " + limit);
            assertEquals(limit, TopUpExecutor.gasLimit(gas, b.size()), "sent with the limit it wants");
            flat.addAll(b);
        }
        assertEquals(vaults, flat, "every vault, once, in order");
        // the batches are as full as the cap lets them be: a batch and the next one's first vault would not fit
        for (int i = 0; i + 1 < batches.size(); i++) {
            List<BigInteger> more = new ArrayList<>(batches.get(i).stream().map(Vault::gas).toList());
            more.add(batches.get(i + 1).getFirst().gas());
            BigInteger limit = TopUpExecutor.wantedGasLimit(TopUpExecutor.batchGasOf(more), more.size());
            assertTrue(more.size() > TopUpExecutor.MAX_BATCH || limit.compareTo(CAP) > 0,
                    "batch " + i + " could have taken one more");
        }
        // 50 of these vaults alone would ask for more than the cap: the cut is not MAX_BATCH's
        List<BigInteger> firstFifty = vaults.subList(0, 50).stream().map(Vault::gas).toList();
        assertTrue(TopUpExecutor.wantedGasLimit(TopUpExecutor.batchGasOf(firstFifty), 50).compareTo(CAP) > 0);
        assertEquals(CAP, TopUpExecutor.gasLimit(TopUpExecutor.batchGasOf(firstFifty), 50), "and never sent above it");
    }

    @Test
    void cheapTopUpsStillGoFiftyToABatch() {
        List<Vault> vaults = new ArrayList<>();
        for (int i = 0; i < 100; i++) vaults.add(new Vault(i, BigInteger.valueOf(150_000)));
        List<List<Vault>> batches = TopUpExecutor.batches(vaults, Vault::gas);
        assertEquals(List.of(50, 50), batches.stream().map(List::size).toList());
    }

    @Test
    void aLiquidationsLimitKeepsItsHeadroomUnderTheCapAndIsCappedAboveIt() {
        // small: 1.25x the estimate
        assertEquals(BigInteger.valueOf(1_250_000), LiquidationExecutor.gasLimit(BigInteger.valueOf(1_000_000), 10));
        // a 15M budget's batch: 1.25x would be 18.75M, above the cap; the cap it is
        assertEquals(CAP, LiquidationExecutor.gasLimit(BigInteger.valueOf(15_000_000), 100));
        // an estimate above the cap is left as it is (no limit would run it; the node says so)
        assertEquals(BigInteger.valueOf(20_000_000), LiquidationExecutor.gasLimit(BigInteger.valueOf(20_000_000), 1));
    }
}

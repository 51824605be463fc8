package io.isomargin.keeper.send;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcConfig;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.keeper.send.TxSender.Kind;
import io.isomargin.keeper.send.TxSender.Outcome;
import io.isomargin.keeper.send.TxSender.Pending;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.tx.RawTransactionManager;

/** The sender against a real Anvil node with manual mining, where base fees are set block by block. */
@ExtendWith(AnvilExtension.class)
class TxSenderTest {
    private static final BigInteger GWEI = BigInteger.TEN.pow(9);
    private static final BigInteger TRANSFER_GAS = BigInteger.valueOf(21_000);

    private AnvilChain chain;
    private RpcClient rpc;
    private Credentials key;
    private TxSender.Request transfer;
    private String snapshot;

    @BeforeEach
    void manualMiningAtTenGwei(AnvilChain chain) {
        this.chain = chain;
        snapshot = chain.snapshot(); // each test starts with the key unused
        rpc = RpcClient.connect(rpcConfig(chain.rpcUrl()));
        key = chain.credentials(9);
        transfer = new TxSender.Request(chain.credentials(8).getAddress(), "0x", TRANSFER_GAS, "transfer");
        chain.rpc("evm_setAutomine", false);
        mineAtBaseFee(gwei(10));
    }

    @AfterEach
    void close() {
        rpc.close();
        normalBlocks();
        chain.rpc("anvil_dropAllTransactions");
        chain.revert(snapshot);
    }

    @Test
    void aStuckTransactionIsReplacedWithTheSameNonceAndBumpedFeesAndMinedOnce() {
        TxSender sender = sender(policy(gwei(100)), 2);
        long block = chain.blockNumber();
        Pending p = sender.send(transfer, gwei(10), block);
        assertEquals(gwei(11), p.fees().maxFeePerGas(), "base fee x 1 + 1 gwei tip");

        mineWithoutIncluding(gwei(10));
        assertEquals(List.of(), sender.onBlock(chain.blockNumber(), gwei(10)));
        mineWithoutIncluding(gwei(10));
        List<Outcome> replaced = sender.onBlock(chain.blockNumber(), gwei(10));
        assertEquals(List.of(Kind.REPLACED), kinds(replaced));
        assertEquals(p.nonce(), replaced.getFirst().tx().nonce());
        BigInteger newMax = p.fees().maxFeePerGas();
        assertTrue(newMax.compareTo(gwei(11).multiply(BigInteger.valueOf(1125)).divide(BigInteger.valueOf(1000))) >= 0,
                "max fee bumped by 12.5%: " + newMax);
        assertEquals(1_125_000_000L, p.fees().maxPriorityFeePerGas().longValueExact(), "tip bumped by 12.5%");

        mineAtBaseFee(gwei(10));
        List<Outcome> mined = sender.onBlock(chain.blockNumber(), gwei(10));
        assertEquals(List.of(Kind.MINED), kinds(mined));
        assertEquals(p.hashes().get(1), mined.getFirst().receipt().getTransactionHash(), "the replacement was mined");
        assertEquals(2, p.hashes().size());
        assertFalse(receiptExists(p.hashes().get(0)), "the original never mined");
        assertEquals(1, minedCount(), "one transaction for the nonce");
        assertTrue(sender.inFlight().isEmpty());
    }

    @Test
    void aSendPlannedBlocksAgoCountsItsWaitFromTheBlockItWasSentAt() {
        // a caller whose simulations took several blocks (a slow node) sends with the block it started planning at
        TxSender sender = sender(policy(gwei(100)), 2);
        long planned = chain.blockNumber();
        for (int i = 0; i < 4; i++) mineAtBaseFee(gwei(10));
        List<java.util.Optional<Pending>> sent = sender.sendAll(List.of(transfer, transfer), gwei(10), planned);
        Pending p = sender.send(transfer, gwei(10), planned);
        assertEquals(List.of(), sender.onBlock(chain.blockNumber(), gwei(10)),
                "not replaced as unmined for blocks it was not out yet");
        assertEquals(1, sent.getFirst().orElseThrow().hashes().size());
        assertEquals(1, p.hashes().size());

        mineWithoutIncluding(gwei(10));
        mineWithoutIncluding(gwei(10));
        assertEquals(List.of(Kind.REPLACED, Kind.REPLACED, Kind.REPLACED),
                kinds(sender.onBlock(chain.blockNumber(), gwei(10))), "replaced after its 2 blocks");
    }

    @Test
    void aTransactionStuckAtTheCapIsReportedOnceYetStillReSentWhenTheNodeForgetsIt() {
        TxSender sender = sender(policy(gwei(12)), 1); // 11 gwei now; 12.375 after a bump
        Pending p = sender.send(transfer, gwei(10), chain.blockNumber());
        mineWithoutIncluding(gwei(10));
        assertEquals(List.of(Kind.STUCK_AT_CAP), kinds(sender.onBlock(chain.blockNumber(), gwei(10))));
        mineWithoutIncluding(gwei(10));
        assertEquals(List.of(), sender.onBlock(chain.blockNumber(), gwei(10)), "reported once");
        assertEquals(List.of(p), sender.inFlight());
        assertEquals(1, p.hashes().size(), "nothing re-sent above the cap");

        chain.rpc("anvil_dropAllTransactions"); // the node forgets it (restart, full pool)
        mineWithoutIncluding(gwei(10));
        assertEquals(List.of(Kind.RESENT), kinds(sender.onBlock(chain.blockNumber(), gwei(10))));
        assertEquals(1, p.hashes().size(), "the same bytes: its max fee still covers the base fee");
        mineAtBaseFee(gwei(10));
        assertEquals(List.of(Kind.MINED), kinds(sender.onBlock(chain.blockNumber(), gwei(10))));
        assertEquals(1, minedCount());
    }

    /**
     * The operator's report: with the fee cap at 3 gwei, the base fee pinned above it right after a crash made the node
     * drop nonce N (and N+1); the keeper left them "stuck at cap", queued more behind the gap and never liquidated
     * again. Now: both are reported stranded while the base fee is above the cap, a resync against the node that
     * forgot them does not hand their nonces out again, and once the base fee falls they are re-sent (the same bytes)
     * and everything is mined, each nonce once.
     */
    @Test
    void nonceStrandedByABaseFeeAboveTheCapIsReSentWhenItFallsAndNothingIsSentTwice() {
        NonceManager nonces = new NonceManager(rpc, key.getAddress());
        TxSender sender = new TxSender(rpc, key, chain.chainId(), new FeePolicy(gwei(3), GWEI, 200, 125), nonces, 3,
                4);
        mineAtBaseFee(GWEI);
        Pending n0 = sender.send(transfer, GWEI, chain.blockNumber());
        Pending n1 = sender.send(transfer, GWEI, chain.blockNumber());
        assertEquals(gwei(3), n0.fees().maxFeePerGas(), "2 x 1 gwei + 1 gwei tip, at the cap");

        for (int i = 0; i < 3; i++) mineAtBaseFee(gwei(5)); // above every max fee: the node drops both
        assertEquals(0, minedCount());
        assertFalse(receiptExists(n0.hash()));
        List<Outcome> first = sender.onBlock(chain.blockNumber(), gwei(5));
        assertEquals(List.of(Kind.STRANDED, Kind.STRANDED), kinds(first));
        assertTrue(n0.stranded() && n1.stranded());
        mineAtBaseFee(gwei(5));
        assertEquals(List.of(), sender.onBlock(chain.blockNumber(), gwei(5)), "reported once, tried every block");
        assertThrows(GasAboveCapException.class, () -> sender.send(transfer, gwei(5), chain.blockNumber()));

        assertEquals(0, nonces.resync("test: the node forgot nonces 0 and 1"), "the node's pending count");
        mineAtBaseFee(GWEI); // the base fee falls
        Pending n2 = sender.send(transfer, GWEI, chain.blockNumber());
        assertEquals(2, n2.nonce(), "never a nonce still in flight");
        List<Outcome> resent = sender.onBlock(chain.blockNumber(), GWEI);
        assertEquals(List.of(Kind.RESENT, Kind.RESENT), kinds(resent));
        assertFalse(n0.stranded() || n1.stranded());
        assertEquals(1, n0.hashes().size(), "the same bytes");

        mineAtBaseFee(GWEI);
        assertEquals(List.of(Kind.MINED, Kind.MINED, Kind.MINED), kinds(sender.onBlock(chain.blockNumber(), GWEI)));
        assertEquals(3, minedCount(), "each nonce mined once");
        assertTrue(sender.inFlight().isEmpty());
    }

    @Test
    void aNonceGapBelowTheInFlightTransactionsIsFilledWithATransferToOurselves() {
        NonceManager nonces = new NonceManager(rpc, key.getAddress());
        TxSender sender = new TxSender(rpc, key, chain.chainId(), policy(gwei(100)), nonces, 2, 4);
        assertEquals(0, nonces.take(), "nonce 0 taken and lost (a crash between signing and sending)");
        Pending p = sender.send(transfer, gwei(10), chain.blockNumber());
        assertEquals(1, p.nonce());

        mineAtBaseFee(gwei(10));
        assertEquals(List.of(), sender.onBlock(chain.blockNumber(), gwei(10)), "queued behind the gap: nothing mined");
        mineAtBaseFee(gwei(10));
        assertFalse(kinds(sender.onBlock(chain.blockNumber(), gwei(10))).contains(Kind.GAP_FILLED),
                "a gap gets time to fill by itself (the queued one is bumped meanwhile)");
        mineAtBaseFee(gwei(10));
        List<Outcome> filled = sender.onBlock(chain.blockNumber(), gwei(10)).stream()
                .filter(o -> o.kind() == Kind.GAP_FILLED).toList();
        assertEquals(1, filled.size());
        Pending gap = filled.getFirst().tx();
        assertEquals(0, gap.nonce());
        assertEquals(key.getAddress(), gap.request().to(), "a 0-value transfer to ourselves");

        mineAtBaseFee(gwei(10));
        assertEquals(List.of(Kind.MINED, Kind.MINED), kinds(sender.onBlock(chain.blockNumber(), gwei(10))));
        assertEquals(2, minedCount());
    }

    @Test
    void aWaveGoesOutAtOnceAndARefusedNonceInTheMiddleIsFilledAtTheNextBlock() {
        NonceManager nonces = new NonceManager(rpc, key.getAddress());
        TxSender sender = new TxSender(rpc, key, chain.chainId(), policy(gwei(100)), nonces, 2, 4);
        TxSender.Request tooBig = new TxSender.Request(transfer.to(), "0x", BigInteger.valueOf(100_000_000),
                "over the block gas limit"); // the node refuses it
        List<java.util.Optional<Pending>> sent = sender.sendAll(List.of(transfer, tooBig, transfer, transfer, transfer),
                gwei(10), chain.blockNumber());
        assertEquals(List.of(true, false, true, true, false), sent.stream().map(java.util.Optional::isPresent).toList(),
                "the refused one and the fifth (over the in-flight limit of 4) are not sent");
        assertEquals(List.of(0L, 2L, 3L), sender.inFlight().stream().map(Pending::nonce).toList());

        mineAtBaseFee(gwei(10));
        List<Outcome> next = sender.onBlock(chain.blockNumber(), gwei(10));
        assertEquals(List.of(Kind.MINED, Kind.GAP_FILLED), kinds(next), "nonce 1 filled at once");
        mineAtBaseFee(gwei(10));
        assertEquals(List.of(Kind.MINED, Kind.MINED, Kind.MINED), kinds(sender.onBlock(chain.blockNumber(), gwei(10))));
        assertEquals(4, minedCount(), "nonces 0..3, each once");
        assertEquals(4, sender.sendAll(List.of(transfer, transfer), gwei(10), chain.blockNumber()).getFirst()
                .orElseThrow().nonce(), "nonces continue after the wave");
    }

    @Test
    void aKeyThatCannotPayGasIsReportedUntilASendGoesThrough() {
        Credentials broke = Credentials.create("0x" + "11".repeat(32));
        TxSender sender = new TxSender(rpc, broke, chain.chainId(), policy(gwei(100)),
                new NonceManager(rpc, broke.getAddress()), 2, 4);
        SendRejectedException e = assertThrows(SendRejectedException.class,
                () -> sender.send(transfer, gwei(10), chain.blockNumber()));
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("insufficient funds"), e.getMessage());
        assertTrue(sender.fundsProblem() != null && sender.fundsProblem().toLowerCase(java.util.Locale.ROOT)
                .contains("insufficient funds"), String.valueOf(sender.fundsProblem()));

        chain.rpc("anvil_setBalance", broke.getAddress(), "0x" + BigInteger.TEN.pow(18).toString(16));
        sender.send(transfer, gwei(10), chain.blockNumber());
        assertNull(sender.fundsProblem(), "cleared by an accepted send");
    }

    @Test
    void gasAboveTheCapSendsNothing() {
        TxSender sender = sender(policy(gwei(5)), 2);
        GasAboveCapException e = assertThrows(GasAboveCapException.class,
                () -> sender.send(transfer, gwei(10), chain.blockNumber()));
        assertTrue(e.getMessage().contains("gas.max-fee-cap 5000000000"), e.getMessage());
        assertEquals(0, pendingCount(), "nothing in the pool");
        assertTrue(sender.inFlight().isEmpty());
    }

    @Test
    void theInFlightLimitHoldsFurtherSends() {
        TxSender sender = sender(policy(gwei(100)), 2, 1);
        sender.send(transfer, gwei(10), chain.blockNumber());
        assertFalse(sender.canSend());
        assertThrows(IllegalStateException.class, () -> sender.send(transfer, gwei(10), chain.blockNumber()));
        assertEquals(1, pendingCount());
    }

    @Test
    void aNonceUsedByAnotherProcessWithTheSameKeyIsResynced() throws Exception {
        chain.rpc("evm_setAutomine", true);
        NonceManager nonces = new NonceManager(rpc, key.getAddress());
        TxSender sender = new TxSender(rpc, key, chain.chainId(), policy(gwei(100)), nonces, 2, 4);
        assertEquals(0, sender.send(transfer, gwei(10), chain.blockNumber()).nonce());
        // another process sends with the same key: nonce 1 is gone
        new RawTransactionManager(chain.web3j(), key, chain.chainId()).sendEIP1559Transaction(chain.chainId(),
                GWEI, gwei(50), TRANSFER_GAS, chain.credentials(7).getAddress(), "0x", BigInteger.ONE);
        Pending p = sender.send(transfer, gwei(10), chain.blockNumber());
        assertEquals(2, p.nonce(), "nonce too low -> resynced");
        assertEquals(1, nonces.resyncs());
        awaitMinedCount(3); // an automining node may answer before its block is in

        // detected while idle too
        new RawTransactionManager(chain.web3j(), key, chain.chainId()).sendEIP1559Transaction(chain.chainId(),
                GWEI, gwei(50), TRANSFER_GAS, chain.credentials(7).getAddress(), "0x", BigInteger.ONE);
        sender.onBlock(chain.blockNumber(), gwei(10)); // collects the receipts of ours
        sender.onBlock(chain.blockNumber(), gwei(10));
        assertEquals(2, nonces.resyncs());
        assertEquals(4, sender.send(transfer, gwei(10), chain.blockNumber()).nonce());
    }

    @Test
    void aSendWhoseAnswerIsLostIsNotSentTwice() {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl())) {
            try (RpcClient flaky = RpcClient.connect(rpcConfig(proxy.url()))) {
                proxy.inject("eth_sendRawTransaction", FaultProxy.Fault.truncatedBody(), 1); // reaches the node
                TxSender sender = new TxSender(flaky, key, chain.chainId(), policy(gwei(100)),
                        new NonceManager(flaky, key.getAddress()), 2, 4);
                Pending p = sender.send(transfer, gwei(10), chain.blockNumber());
                assertEquals(2, proxy.requestCount("eth_sendRawTransaction"), "retried once, same bytes");
                mineAtBaseFee(gwei(10));
                assertEquals(List.of(Kind.MINED), kinds(sender.onBlock(chain.blockNumber(), gwei(10))));
                assertEquals(0, p.nonce());
                assertEquals(1, minedCount(), "exactly one transaction");
            }
        }
    }

    private TxSender sender(FeePolicy policy, int replaceAfter) {
        return sender(policy, replaceAfter, 4);
    }

    private TxSender sender(FeePolicy policy, int replaceAfter, int maxInFlight) {
        return new TxSender(rpc, key, chain.chainId(), policy, new NonceManager(rpc, key.getAddress()), replaceAfter,
                maxInFlight);
    }

    private static FeePolicy policy(BigInteger cap) {
        return new FeePolicy(cap, GWEI, 100, 125);
    }

    /**
     * Mines a block whose gas limit is under a transfer's 21,000: the node keeps the pending transactions but cannot
     * include them (Anvil drops one whose max fee is under the base fee, so that cannot hold one). The limit is back
     * to normal afterwards, so replacements are accepted and the next block includes them.
     */
    private void mineWithoutIncluding(BigInteger baseFee) {
        chain.rpc("evm_setBlockGasLimit", "0x" + Long.toHexString(20_000));
        mineAtBaseFee(baseFee);
        normalBlocks();
    }

    private void normalBlocks() {
        chain.rpc("evm_setBlockGasLimit", "0x" + Long.toHexString(30_000_000));
    }

    private void mineAtBaseFee(BigInteger baseFee) {
        chain.rpc("anvil_setNextBlockBaseFeePerGas", "0x" + baseFee.toString(16));
        chain.mine();
    }

    private void awaitMinedCount(long n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (minedCount() < n && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(n, minedCount());
    }

    private long minedCount() {
        return count(DefaultBlockParameterName.LATEST);
    }

    private long pendingCount() {
        return count(DefaultBlockParameterName.PENDING);
    }

    private long count(DefaultBlockParameterName at) {
        return rpc.call(w -> w.ethGetTransactionCount(key.getAddress(), at)).getTransactionCount().longValueExact();
    }

    private boolean receiptExists(String hash) {
        return rpc.call(w -> w.ethGetTransactionReceipt(hash)).getTransactionReceipt().isPresent();
    }

    private static List<Kind> kinds(List<Outcome> outcomes) {
        return outcomes.stream().map(Outcome::kind).toList();
    }

    private static BigInteger gwei(long n) {
        return GWEI.multiply(BigInteger.valueOf(n));
    }

    static RpcConfig rpcConfig(String url) {
        return new RpcConfig(List.of(url), Duration.ofSeconds(2), 3, Duration.ofMillis(10), Duration.ofMillis(50), 4,
                50, Duration.ofMillis(300), 0);
    }
}

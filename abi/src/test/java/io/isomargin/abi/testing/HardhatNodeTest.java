package io.isomargin.abi.testing;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.contracts.IsomarginEngine.Vault;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.TransactionManager;

/**
 * The Hardhat node harness: Anvil's chain id and dev keys, the local deployment, the cheats, EIP-170 and a clean
 * shutdown, so a test written against {@link TestChain} runs on either node.
 */
class HardhatNodeTest {
    private static HardhatNode chain;
    private static Deployment d;

    @BeforeAll
    static void start() {
        chain = HardhatNode.start();
        d = Deployment.deploy(chain);
    }

    @AfterAll
    static void stop() {
        if (chain != null) chain.close();
    }

    @Test
    void hasAnvilsChainIdDevKeysAndBlockGasLimit() throws Exception {
        assertEquals(31337, chain.chainId());
        assertEquals(HardhatNode.ACCOUNTS, chain.accountCount());
        // the first two of Anvil's well-known dev accounts: keys deployed with on one node work on the other
        assertEquals("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", chain.credentials(0).getAddress());
        assertEquals("0x70997970c51812dc3a010c7d01b50e0d17dc79c8", chain.credentials(1).getAddress());
        assertEquals(BigInteger.valueOf(30_000_000), chain.web3j()
                .ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send().getBlock().getGasLimit());
    }

    @Test
    void theLocalDeploymentWorksAsOnAnvil() throws Exception {
        assertEquals(BigInteger.TWO, d.engine().marketCount().send());
        // engine v2: ~18 kB of runtime code (its admin module, which it deploys itself, holds the owner's levers)
        assertTrue(chain.web3j().ethGetCode(d.engine().getContractAddress(), DefaultBlockParameterName.LATEST).send()
                .getCode().length() > 2 * 15_000, "the engine's runtime code is on chain");
        assertTrue(chain.web3j().ethGetCode(d.lens().getContractAddress(), DefaultBlockParameterName.LATEST).send()
                .getCode().length() > 2 * 5_000, "the lens's runtime code is on chain");
        assertEquals(d.engine().getContractAddress().toLowerCase(), d.lens().engine().send().toLowerCase());
        d.fundAndSupply(chain.credentials(1), units(1_000_000, 6));
        BigInteger id = d.openVault(chain.credentials(2), d.wethMarket(), units(10, 18), units(5_000, 6));
        Vault v = d.engine().vault(id).send();
        assertEquals(chain.credentials(2).getAddress(), v.owner);
        assertEquals(units(10, 18), v.collateral);
        d.setPrice(d.wethMarket(), BigInteger.valueOf(1_800_00000000L));
        assertEquals(BigInteger.valueOf(1_800_00000000L), d.wethFeed().latestRoundData().send().component2());
    }

    @Test
    void revertRestoresTheSnapshotAndTimeCheatsMoveTheClock() throws Exception {
        BigInteger before = d.engine().vaultCount().send();
        long block = chain.blockNumber();
        String snap = chain.snapshot();
        d.fundAndSupply(chain.credentials(5), units(100_000, 6));
        d.openVault(chain.credentials(6), d.wethMarket(), units(1, 18), units(100, 6));
        assertEquals(before.add(BigInteger.ONE), d.engine().vaultCount().send());
        chain.revert(snap);
        assertEquals(before, d.engine().vaultCount().send());
        assertEquals(block, chain.blockNumber());

        long t0 = chain.latestTimestamp();
        chain.increaseTime(3_600);
        long t1 = chain.latestTimestamp();
        assertTrue(t1 >= t0 + 3_600, t0 + " -> " + t1);
        chain.setNextBlockTimestamp(t1 + 1_000);
        chain.mine();
        assertEquals(t1 + 1_000, chain.latestTimestamp());
    }

    @Test
    void contractsAboveTheEip170SizeLimitAreRefusedAsOnARealChain() throws Exception {
        TransactionManager tm = chain.txManager(chain.credentials(7));
        assertTrue(deploysCodeOfSize(tm, 24_576), "exactly 24,576 bytes is allowed");
        assertFalse(deploysCodeOfSize(tm, 24_577), "one byte more is refused");
    }

    @Test
    void intervalMiningMakesBlocksWithoutTransactions() throws Exception {
        try (HardhatNode interval = HardhatNode.start(Duration.ofMillis(200))) {
            long first = interval.blockNumber();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (interval.blockNumber() < first + 2) {
                if (System.nanoTime() > deadline) fail("no blocks mined by the interval");
                Thread.sleep(50);
            }
        }
    }

    @Test
    void closeKillsTheNode() throws Exception {
        HardhatNode node = HardhatNode.start();
        String url = node.rpcUrl();
        assertEquals(0, node.blockNumber());
        node.close();
        assertFalse(node.isAlive());
        Web3j probe = Web3j.build(new HttpService(url));
        try {
            assertThrows(IOException.class, () -> probe.ethChainId().send());
        } finally {
            probe.shutdown();
        }
        node.close(); // idempotent
    }

    /** Sends a creation transaction whose init code returns {@code size} zero bytes; whether code was stored. */
    private static boolean deploysCodeOfSize(TransactionManager tm, int size) throws Exception {
        // PUSH2 size, PUSH1 0, RETURN: returns memory[0, size), all zeros
        String init = String.format("0x61%04x6000f3", size);
        EthSendTransaction sent = tm.sendTransaction(TestChain.GAS_PRICE, BigInteger.valueOf(10_000_000), null, init,
                BigInteger.ZERO, true);
        if (sent.hasError()) {
            return false; // Hardhat refuses a failing transaction when automining
        }
        TransactionReceipt r = chain.web3j().ethGetTransactionReceipt(sent.getTransactionHash()).send()
                .getTransactionReceipt().orElseThrow();
        assertNotEquals(null, r.getStatus());
        return r.isStatusOK();
    }
}

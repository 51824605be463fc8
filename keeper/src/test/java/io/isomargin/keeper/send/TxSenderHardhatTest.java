package io.isomargin.keeper.send;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.testing.HardhatNode;
import io.isomargin.keeper.send.TxSender.Kind;
import io.isomargin.keeper.send.TxSender.Outcome;
import io.isomargin.keeper.send.TxSender.Pending;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * The sender on an automining Hardhat node, which answers {@code eth_sendRawTransaction} of a transaction that
 * reverts with an error ("Transaction reverted ...") although it mined it: the sender must see it as sent and
 * report it reverted, not hand its nonce back.
 */
class TxSenderHardhatTest {
    private static final BigInteger GWEI = BigInteger.TEN.pow(9);
    /** Init code returning the runtime {@code PUSH1 0 PUSH1 0 REVERT}: every call to it reverts. */
    private static final String ALWAYS_REVERTS = "0x6460006000fd6000526005601bf3";

    private static HardhatNode chain;
    private static RpcClient rpc;
    private static String reverter;

    @BeforeAll
    static void automine() throws Exception {
        chain = HardhatNode.start();
        rpc = RpcClient.connect(TxSenderTest.rpcConfig(chain.rpcUrl()));
        Credentials deployer = chain.credentials(0);
        String hash = chain.txManager(deployer).sendTransaction(chain.gasProvider().getGasPrice(),
                BigInteger.valueOf(100_000), null, ALWAYS_REVERTS, BigInteger.ZERO, true).getTransactionHash();
        TransactionReceipt r = chain.web3j().ethGetTransactionReceipt(hash).send().getTransactionReceipt()
                .orElseThrow(); // automined: the receipt is there at once
        reverter = r.getContractAddress();
    }

    @AfterAll
    static void stop() {
        if (rpc != null) rpc.close();
        if (chain != null) chain.close();
    }

    @Test
    void aTransactionTheNodeMinedButAnsweredWithARevertErrorIsReportedRevertedAndItsNonceIsNotReused() {
        Credentials key = chain.credentials(9);
        NonceManager nonces = new NonceManager(rpc, key.getAddress());
        TxSender sender = new TxSender(rpc, key, chain.chainId(), new FeePolicy(GWEI.multiply(BigInteger.valueOf(100)),
                GWEI, 200, 125), nonces, 3, 4);

        Pending reverting = sender.send(new TxSender.Request(reverter, "0x", BigInteger.valueOf(100_000), "reverts"),
                baseFee(), chain.blockNumber());
        assertEquals(1, mined(key), "Hardhat mined it despite the error answer");
        List<Outcome> outcomes = sender.onBlock(chain.blockNumber(), baseFee());
        assertEquals(List.of(Kind.REVERTED), outcomes.stream().map(Outcome::kind).toList());
        assertFalse(outcomes.getFirst().receipt().isStatusOK());
        assertEquals(reverting.hash(), outcomes.getFirst().receipt().getTransactionHash());

        Pending next = sender.send(new TxSender.Request(chain.credentials(8).getAddress(), "0x",
                BigInteger.valueOf(21_000), "transfer"), baseFee(), chain.blockNumber());
        assertEquals(reverting.nonce() + 1, next.nonce());
        assertEquals(0, nonces.resyncs(), "no nonce was handed out twice");
        assertEquals(List.of(Kind.MINED), sender.onBlock(chain.blockNumber(), baseFee()).stream()
                .map(Outcome::kind).toList());
        assertTrue(sender.inFlight().isEmpty());
    }

    private static BigInteger baseFee() {
        return rpc.call(w -> w.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false)).getBlock()
                .getBaseFeePerGas();
    }

    private static long mined(Credentials key) {
        return rpc.call(w -> w.ethGetTransactionCount(key.getAddress(), DefaultBlockParameterName.LATEST))
                .getTransactionCount().longValueExact();
    }
}

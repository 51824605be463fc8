package io.isomargin.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.FaultProxy;
import java.io.IOException;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.protocol.Web3j;

/** The demo driver's transport against a real Anvil behind the fault proxy: resets are retried, then named. */
@ExtendWith(AnvilExtension.class)
class RetryingHttpServiceTest {

    @Test
    void aDroppedConnectionIsRetriedAndTheAnswerArrives(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl())) {
            Web3j web3j = Web3j.build(RetryingHttpService.of(proxy.url()));
            proxy.inject("eth_blockNumber", FaultProxy.Fault.dropConnection(), RetryingHttpService.ATTEMPTS - 1);
            assertEquals(BigInteger.valueOf(chain.blockNumber()), web3j.ethBlockNumber().send().getBlockNumber());
            assertEquals(RetryingHttpService.ATTEMPTS, proxy.requestCount("eth_blockNumber"));
            web3j.shutdown();
        }
    }

    @Test
    void aNodeThatKeepsFailingIsNamedWithTheMethodAndTheAttempts(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl())) {
            Web3j web3j = Web3j.build(RetryingHttpService.of(proxy.url()));
            proxy.inject("eth_chainId", FaultProxy.Fault.dropConnection(), RetryingHttpService.ATTEMPTS);
            IOException e = assertThrows(IOException.class, () -> web3j.ethChainId().send());
            assertTrue(e.getMessage().contains("eth_chainId") && e.getMessage().contains("failed "
                    + RetryingHttpService.ATTEMPTS + " times") && e.getMessage().contains(proxy.url()), e.getMessage());
            String line = DemoMain.oneLine(e);
            assertTrue(line.startsWith(e.getMessage()) && !line.contains("\n"), "one line, the cause after: " + line);
            web3j.shutdown();
        }
    }
}

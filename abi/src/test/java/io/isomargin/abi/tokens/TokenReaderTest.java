package io.isomargin.abi.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.isomargin.abi.contracts.MockERC20;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcConfig;
import io.isomargin.abi.follower.RpcException;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.OddTokens;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link TokenReader} on a real Anvil chain: the token shapes found in the wild, and a flaky node. */
@ExtendWith(AnvilExtension.class)
class TokenReaderTest {
    @Test
    void anErc20TokensSymbolAndDecimalsAreReadAsTheyAre(AnvilChain chain) throws Exception {
        MockERC20 usdc = deploy(chain, "USDC", 6);
        MockERC20 weth = deploy(chain, "WETH", 18);
        try (RpcClient rpc = RpcClient.connect(fast(chain.rpcUrl()))) {
            TokenReader reader = new TokenReader(rpc);
            assertEquals(new TokenMetadata(usdc.getContractAddress(), "USDC", 6, TokenMetadata.Source.STRING),
                    reader.read(usdc.getContractAddress()));
            assertEquals(new TokenMetadata(weth.getContractAddress(), "WETH", 18, TokenMetadata.Source.STRING),
                    reader.read(weth.getContractAddress().toUpperCase().replace("0X", "0x")));
        }
    }

    @Test
    void aBytes32SymbolIsReadAsText(AnvilChain chain) {
        String mkr = OddTokens.bytes32Symbol(chain, "0x00000000000000000000000000000000000a11ce", "MKR", 18);
        try (RpcClient rpc = RpcClient.connect(fast(chain.rpcUrl()))) {
            assertEquals(new TokenMetadata(mkr, "MKR", 18, TokenMetadata.Source.BYTES32), new TokenReader(rpc).read(mkr));
        }
    }

    @Test
    void aTokenWhoseSymbolRevertsIsNamedByItsShortAddress(AnvilChain chain) {
        String odd = OddTokens.revertingSymbol(chain, "0xabcdef00000000000000000000000000000b0b01", 8);
        try (RpcClient rpc = RpcClient.connect(fast(chain.rpcUrl()))) {
            TokenMetadata t = new TokenReader(rpc).read(odd);
            assertEquals(new TokenMetadata(odd, "0xabcd...0b01", 8, TokenMetadata.Source.ADDRESS), t);
            assertEquals("1.5", t.format(BigInteger.valueOf(150_000_000L)));
        }
    }

    @Test
    void anAddressWithoutCodeHasNoSymbolAndNoDecimals(AnvilChain chain) {
        String nobody = chain.credentials(7).getAddress();
        try (RpcClient rpc = RpcClient.connect(fast(chain.rpcUrl()))) {
            TokenMetadata t = new TokenReader(rpc).read(nobody);
            assertEquals(TokenMetadata.Source.ADDRESS, t.source());
            assertEquals(null, t.decimals());
            assertEquals(null, t.format(BigInteger.TEN), "no decimals: no formatted amount, never a guessed one");
        }
    }

    @Test
    void aNodeFailingTransientlyThrowsInsteadOfGivingAFallbackName(AnvilChain chain) throws Exception {
        MockERC20 usdc = deploy(chain, "USDC", 6);
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl());
                RpcClient rpc = RpcClient.connect(fast(proxy.url()))) {
            TokenReader reader = new TokenReader(rpc);
            proxy.inject("eth_call", FaultProxy.Fault.httpStatus(503), -1);
            assertThrows(RpcException.class, () -> reader.read(usdc.getContractAddress()));
            proxy.clearFaults();
            proxy.inject("eth_call", FaultProxy.Fault.timeout(), 1); // one timeout: the client's retry covers it
            assertEquals("USDC", reader.read(usdc.getContractAddress()).symbol());
        }
    }

    private static MockERC20 deploy(AnvilChain chain, String symbol, int decimals) throws Exception {
        return MockERC20.deploy(chain.web3j(), chain.txManager(chain.credentials(0)), chain.gasProvider(),
                symbol + " token", symbol, BigInteger.valueOf(decimals)).send();
    }

    /** Short timeouts, 3 tries. */
    private static RpcConfig fast(String url) {
        return new RpcConfig(List.of(url), Duration.ofMillis(500), 3, Duration.ofMillis(10), Duration.ofMillis(50),
                4, 50, Duration.ofMillis(300), 0);
    }
}

package io.isomargin.abi.follower;

import static io.isomargin.abi.follower.FollowerFixtures.deployToken;
import static io.isomargin.abi.follower.FollowerFixtures.deploymentBlock;
import static io.isomargin.abi.follower.FollowerFixtures.mint;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.MockERC20;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;

/** The byte budget's measure against the bytes Anvil really sends for the same {@code eth_getLogs}. */
@ExtendWith(AnvilExtension.class)
class LogJsonSizeTest {

    @Test
    void theSizeOfTheLogsIsAFewPercentUnderTheBodyAnvilSends(AnvilChain chain) throws Exception {
        MockERC20 token = deployToken(chain);
        mint(token, chain, 40, 1);
        long from = deploymentBlock(token);
        long to = chain.blockNumber();
        String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getLogs\",\"params\":[{\"fromBlock\":\"0x"
                + Long.toHexString(from) + "\",\"toBlock\":\"0x" + Long.toHexString(to) + "\",\"address\":\""
                + token.getContractAddress() + "\"}]}";
        HttpResponse<byte[]> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(chain.rpcUrl()))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), token.getContractAddress());
        List<Log> logs = new ArrayList<>();
        for (EthLog.LogResult<?> r : chain.web3j().ethGetLogs(filter).send().getLogs()) logs.add((Log) r.get());
        long estimate = LogJsonSize.of(logs);
        long wire = raw.body().length;

        double ratio = (double) estimate / wire;
        System.out.printf(Locale.ROOT, "LogJsonSizeTest: %d logs, %d bytes on the wire, %d estimated (%.3f)%n",
                logs.size(), wire, estimate, ratio);
        assertTrue(logs.size() >= 40, "the mints' Transfer logs");
        assertTrue(ratio > 0.9 && ratio <= 1.0, "estimate " + estimate + " of " + wire + " bytes");
    }
}

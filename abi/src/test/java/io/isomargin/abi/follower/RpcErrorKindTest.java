package io.isomargin.abi.follower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.EOFException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.exceptions.ClientConnectionException;

class RpcErrorKindTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "query returned more than 10000 results",
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
        "block range is too wide",
        "exceed maximum block range: 5000",
        "eth_getLogs is limited to a 10,000 range",
        "response size should not greater than 10000000 bytes"})
    void providerRangeRefusalsAskForASmallerRange(String message) {
        assertEquals(RpcErrorKind.RANGE_TOO_LARGE, RpcErrorKind.of(new Response.Error(-32000, message)));
    }

    @Test
    void limitExceededCodeWithoutAKnownMessageIsARangeRefusal() {
        assertEquals(RpcErrorKind.RANGE_TOO_LARGE, RpcErrorKind.of(new Response.Error(-32005, "limit exceeded")));
    }

    @Test
    void limitExceededCodeAboutTheRequestRateIsTransient() {
        assertEquals(RpcErrorKind.TRANSIENT,
                RpcErrorKind.of(new Response.Error(-32005, "project ID request rate exceeded")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"header not found", "Too Many Requests", "request timed out", "internal error"})
    void nodeHiccupsAreTransient(String message) {
        assertEquals(RpcErrorKind.TRANSIENT, RpcErrorKind.of(new Response.Error(-32000, message)));
    }

    @Test
    void rejectedRequestsArePermanent() {
        assertEquals(RpcErrorKind.PERMANENT, RpcErrorKind.of(new Response.Error(-32602, "invalid argument 0")));
        assertEquals(RpcErrorKind.PERMANENT, RpcErrorKind.of(new Response.Error(3, "execution reverted")));
    }

    @Test
    void transportFailuresAreTransient() {
        assertEquals(RpcErrorKind.TRANSIENT, RpcErrorKind.of(new SocketTimeoutException("timeout")));
        assertEquals(RpcErrorKind.TRANSIENT, RpcErrorKind.of(new EOFException("unexpected end of stream")));
        assertEquals(RpcErrorKind.TRANSIENT,
                RpcErrorKind.of(new ClientConnectionException("Invalid response received: 503; down")));
        assertEquals(RpcErrorKind.TRANSIENT, RpcErrorKind.of(new RuntimeException(new SocketTimeoutException())));
    }
}

package io.isomargin.abi.follower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class FollowerConfigTest {
    private static final String TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    private static final RpcConfig RPC = RpcConfig.defaults(List.of("http://127.0.0.1:8545"));

    private static void assertRejected(String field, Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertTrue(e.getMessage().contains(field), "message should name " + field + ": " + e.getMessage());
    }

    @Test
    void defaultsAreValid() {
        FollowerConfig.defaults(RPC, Optional.of("ws://127.0.0.1:8545"), List.of(TOKEN));
    }

    @Test
    void invalidSettingsAreRejectedNamingTheField() {
        assertRejected("rpc.httpUrls", () -> RpcConfig.defaults(List.of()));
        assertRejected("rpc.httpUrls", () -> RpcConfig.defaults(List.of("ws://127.0.0.1:8545")));
        assertRejected("rpc.maxAttempts", () -> new RpcConfig(List.of("http://a"), Duration.ofSeconds(1), 0,
                Duration.ofMillis(1), Duration.ofMillis(1), 1, 50, Duration.ofSeconds(1), 0));
        assertRejected("follower.wsUrl",
                () -> FollowerConfig.defaults(RPC, Optional.of("http://127.0.0.1:8545"), List.of(TOKEN)));
        assertRejected("follower.addresses", () -> FollowerConfig.defaults(RPC, Optional.empty(), List.of()));
        assertRejected("follower.addresses", () -> FollowerConfig.defaults(RPC, Optional.empty(), List.of("0x12")));
        assertRejected("follower.initialRange", () -> new FollowerConfig(RPC, Optional.empty(), List.of(TOKEN),
                List.of(), 0, 5_000, 1, 2_000, Duration.ofSeconds(1), 64));
        assertRejected("follower.confirmations", () -> new FollowerConfig(RPC, Optional.empty(), List.of(TOKEN),
                List.of(), 64, 100, 1, 2_000, Duration.ofSeconds(1), 64));
        assertRejected("follower.pollInterval", () -> new FollowerConfig(RPC, Optional.empty(), List.of(TOKEN),
                List.of(), 0, 100, 1, 2_000, Duration.ZERO, 64));
        assertRejected("follower.maxResponseBytes", () -> new FollowerConfig(RPC, Optional.empty(), List.of(TOKEN),
                List.of(), 0, 100, 1, 2_000, Duration.ofSeconds(1), 64, 0));
    }

    @Test
    void rangesStartSmallAndALearnedRangeIsBroughtWithinTheBounds() {
        FollowerConfig d = FollowerConfig.defaults(RPC, Optional.empty(), List.of(TOKEN));
        assertEquals(10, d.initialRange());
        assertEquals(8L << 20, d.maxResponseBytes());
        assertEquals(2_000, d.withInitialRange(5_000).initialRange());
        assertEquals(1, d.withInitialRange(0).initialRange());
        assertEquals(37, d.withInitialRange(37).initialRange());
        assertEquals(d.maxResponseBytes(), d.withInitialRange(37).withAddresses(List.of(TOKEN, TOKEN))
                .maxResponseBytes());
    }
}

package io.isomargin.abi.follower;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link ChainFollower} follows and how.
 *
 * @param rpc           the HTTP endpoints and their guards
 * @param wsUrl         a {@code ws(s)://} endpoint for {@code newHeads} notifications; polling continues beside it
 *                      and alone whenever the socket is down
 * @param addresses     contracts whose logs to fetch (at least one)
 * @param topic0        event signatures to keep (any of them); empty for every event
 * @param confirmations how many blocks below the head a block must be before it is delivered (0 = the head itself)
 * @param initialRange  blocks per {@code eth_getLogs} at start
 * @param minRange      the smallest range shrinking goes down to (usually 1)
 * @param maxRange      the largest range growing goes up to
 * @param pollInterval  how often the head is polled
 * @param reorgWindow   how many recent block hashes are kept and checked; blocks deeper than this below the head are
 *                      treated as final
 */
public record FollowerConfig(
        RpcConfig rpc,
        Optional<String> wsUrl,
        List<String> addresses,
        List<String> topic0,
        int confirmations,
        int initialRange,
        int minRange,
        int maxRange,
        Duration pollInterval,
        int reorgWindow) {

    public FollowerConfig {
        Objects.requireNonNull(rpc, "follower.rpc must be set");
        Objects.requireNonNull(wsUrl, "follower.wsUrl must be an Optional (empty for none)");
        wsUrl.ifPresent(url -> {
            String lower = url.toLowerCase(Locale.ROOT);
            if (!lower.startsWith("ws://") && !lower.startsWith("wss://")) {
                throw new IllegalArgumentException("follower.wsUrl must start with ws:// or wss://, got " + url);
            }
        });
        Objects.requireNonNull(addresses, "follower.addresses must be set");
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("follower.addresses must name at least one contract");
        }
        addresses = addresses.stream().map(a -> requireHex(a, 40, "follower.addresses")).toList();
        Objects.requireNonNull(topic0, "follower.topic0 must be set (empty for every event)");
        topic0 = topic0.stream().map(t -> requireHex(t, 64, "follower.topic0")).toList();
        if (confirmations < 0) {
            throw new IllegalArgumentException("follower.confirmations must not be negative, got " + confirmations);
        }
        if (minRange < 1) {
            throw new IllegalArgumentException("follower.minRange must be at least 1, got " + minRange);
        }
        if (maxRange < minRange) {
            throw new IllegalArgumentException("follower.maxRange (" + maxRange + ") must be at least follower.minRange ("
                    + minRange + ")");
        }
        if (initialRange < minRange || initialRange > maxRange) {
            throw new IllegalArgumentException("follower.initialRange must be within follower.minRange..maxRange ("
                    + minRange + ".." + maxRange + "), got " + initialRange);
        }
        RpcConfig.requirePositive(pollInterval, "follower.pollInterval");
        if (reorgWindow < 1) {
            throw new IllegalArgumentException("follower.reorgWindow must be at least 1, got " + reorgWindow);
        }
        if (confirmations >= reorgWindow) {
            throw new IllegalArgumentException("follower.confirmations (" + confirmations
                    + ") must be below follower.reorgWindow (" + reorgWindow + "): delivered blocks must stay checkable");
        }
    }

    /** Defaults for mainnet-like chains: no topic filter, 0 confirmations, ranges 1..2,000 starting at 500, 2 s
     * polling, 64 kept hashes. */
    public static FollowerConfig defaults(RpcConfig rpc, Optional<String> wsUrl, List<String> addresses) {
        return new FollowerConfig(rpc, wsUrl, addresses, List.of(), 0, 500, 1, 2_000, Duration.ofSeconds(2), 64);
    }

    private static String requireHex(String value, int digits, String field) {
        Objects.requireNonNull(value, field + " must not hold null");
        if (!value.matches("0[xX][0-9a-fA-F]{" + digits + "}")) {
            throw new IllegalArgumentException(field + ": expected 0x and " + digits + " hex digits, got " + value);
        }
        return value.toLowerCase(Locale.ROOT);
    }
}

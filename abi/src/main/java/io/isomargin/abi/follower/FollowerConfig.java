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
 * @param initialRange  blocks per {@code eth_getLogs} at start: small (the density of the chain is not known yet),
 *                      the range then grows by what the answers hold; a consumer that kept the range it learned
 *                      passes that instead
 * @param minRange      the smallest range shrinking goes down to (usually 1)
 * @param maxRange      the largest range growing goes up to
 * @param pollInterval  how often the head is polled
 * @param reorgWindow   how many recent block hashes are kept and checked; blocks deeper than this below the head are
 *                      treated as final
 * @param maxResponseBytes about the most bytes of JSON one {@code eth_getLogs} answer should hold: the range shrinks to
 *                      what holds this much at the density observed, and grows no further (beside the budget of
 *                      about 10,000 logs); measured from the logs received (their JSON fields), a few percent under
 *                      the body's length
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
        int reorgWindow,
        long maxResponseBytes) {

    /** The first range when none was learned yet: small enough that a dense chain's first answer stays small. */
    public static final int DEFAULT_INITIAL_RANGE = 10;
    /** {@link #maxResponseBytes} when not set: 8 MiB, under the 10 MB answer limit common among providers. */
    public static final long DEFAULT_MAX_RESPONSE_BYTES = 8L << 20;

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
        if (maxResponseBytes < 1) {
            throw new IllegalArgumentException("follower.maxResponseBytes must be positive, got " + maxResponseBytes);
        }
    }

    /** A configuration with the default {@link #maxResponseBytes} ({@value #DEFAULT_MAX_RESPONSE_BYTES} bytes). */
    public FollowerConfig(RpcConfig rpc, Optional<String> wsUrl, List<String> addresses, List<String> topic0,
            int confirmations, int initialRange, int minRange, int maxRange, Duration pollInterval, int reorgWindow) {
        this(rpc, wsUrl, addresses, topic0, confirmations, initialRange, minRange, maxRange, pollInterval, reorgWindow,
                DEFAULT_MAX_RESPONSE_BYTES);
    }

    /** This configuration following {@code addresses} instead. */
    public FollowerConfig withAddresses(List<String> addresses) {
        return new FollowerConfig(rpc, wsUrl, addresses, topic0, confirmations, initialRange, minRange, maxRange,
                pollInterval, reorgWindow, maxResponseBytes);
    }

    /** This configuration starting at {@code range} blocks (brought within {@link #minRange}..{@link #maxRange}), for
     * a range learned earlier. */
    public FollowerConfig withInitialRange(int range) {
        int within = Math.max(minRange, Math.min(maxRange, range));
        return new FollowerConfig(rpc, wsUrl, addresses, topic0, confirmations, within, minRange, maxRange,
                pollInterval, reorgWindow, maxResponseBytes);
    }

    /** Defaults for mainnet-like chains: no topic filter, 0 confirmations, ranges 1..2,000 starting at
     * {@value #DEFAULT_INITIAL_RANGE}, 2 s polling, 64 kept hashes, answers of about 8 MiB at most. */
    public static FollowerConfig defaults(RpcConfig rpc, Optional<String> wsUrl, List<String> addresses) {
        return new FollowerConfig(rpc, wsUrl, addresses, List.of(), 0, DEFAULT_INITIAL_RANGE, 1, 2_000,
                Duration.ofSeconds(2), 64, DEFAULT_MAX_RESPONSE_BYTES);
    }

    private static String requireHex(String value, int digits, String field) {
        Objects.requireNonNull(value, field + " must not hold null");
        if (!value.matches("0[xX][0-9a-fA-F]{" + digits + "}")) {
            throw new IllegalArgumentException(field + ": expected 0x and " + digits + " hex digits, got " + value);
        }
        return value.toLowerCase(Locale.ROOT);
    }
}

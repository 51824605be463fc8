package io.isomargin.keeper.send;

import io.isomargin.abi.follower.RpcClient;
import java.math.BigInteger;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.core.DefaultBlockParameterName;

/**
 * The keeper's nonces, handed out locally so several transactions can be in flight, and resynchronized from the
 * node's pending count when the node says a nonce is wrong or another sender used the same key.
 */
public final class NonceManager {
    private static final Logger log = LoggerFactory.getLogger(NonceManager.class);

    /** What a node's rejection of a raw transaction says about nonces. */
    public enum Rejection {
        /** The nonce is already used (mined): by us (check the hash) or by another sender. */
        NONCE_TOO_LOW,
        /** The node already has exactly this transaction: it was sent. */
        ALREADY_KNOWN,
        /** Another transaction with this nonce waits in the pool with fees we do not beat. */
        UNDERPRICED_REPLACEMENT,
        /** A gap below this nonce. */
        NONCE_TOO_HIGH,
        /** Not about nonces (insufficient funds, intrinsic gas, ...). */
        OTHER;

        /** Classifies a node's error message (geth, Erigon, Nethermind, Anvil, Hardhat phrasings). */
        public static Rejection of(String message) {
            String m = message == null ? "" : message.toLowerCase(Locale.ROOT);
            if (m.contains("already known") || m.contains("already imported") || m.contains("known transaction")
                    || m.contains("transaction already exists")) {
                return ALREADY_KNOWN;
            }
            if (m.contains("nonce too low") || m.contains("nonce has already been used")
                    || m.contains("oldnonce") || m.contains("old nonce")) {
                return NONCE_TOO_LOW;
            }
            if (m.contains("replacement transaction underpriced") || m.contains("replacement fee too low")
                    || m.contains("underpriced")) {
                return UNDERPRICED_REPLACEMENT;
            }
            if (m.contains("nonce too high") || m.contains("nonce gap")) return NONCE_TOO_HIGH;
            return OTHER;
        }
    }

    private final RpcClient rpc;
    private final String address;
    private long next = -1;
    private int resyncs;

    public NonceManager(RpcClient rpc, String address) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.address = Objects.requireNonNull(address, "address");
    }

    /** Takes the next nonce (reading the node's pending count the first time). */
    public synchronized long take() {
        return take(0);
    }

    /**
     * Takes the next nonce, at least {@code floor}: the sender passes one above its highest nonce in flight, so a
     * resync against a node that forgot some of them never hands one out twice.
     */
    public synchronized long take(long floor) {
        if (next < 0) next = pendingCount();
        next = Math.max(next, floor);
        return next++;
    }

    /** Gives back the last nonce taken when its transaction was certainly not accepted by any node. */
    public synchronized void giveBack(long nonce) {
        if (nonce == next - 1) next = nonce;
    }

    /**
     * Hands nonces from {@code nonce} on out again, when every one taken at or above it was certainly not accepted by
     * any node (and {@code nonce} is not below the node's count of our mined transactions).
     */
    public synchronized void rewindTo(long nonce) {
        if (nonce >= 0 && nonce < next) next = nonce;
    }

    /** Re-reads the node's pending count; returns the new next nonce. */
    public synchronized long resync(String reason) {
        long before = next;
        next = pendingCount();
        resyncs++;
        log.warn("nonce resync ({}): local next {} -> node pending count {}", reason, before, next);
        return next;
    }

    /**
     * Compares the node's pending count with the local next nonce; a higher count means another sender used this key,
     * and the local nonce moves up to it. Returns true when that happened.
     */
    public synchronized boolean detectExternalUse() {
        if (next < 0) return false;
        long pending = pendingCount();
        if (pending <= next) return false;
        log.warn("another sender used key {}: node pending count {} above local next {}; resyncing", address, pending,
                next);
        next = pending;
        resyncs++;
        return true;
    }

    /** The count of transactions of this key that are mined ({@code latest}). */
    public long minedCount() {
        return count(DefaultBlockParameterName.LATEST);
    }

    public synchronized int resyncs() {
        return resyncs;
    }

    private long pendingCount() {
        return count(DefaultBlockParameterName.PENDING);
    }

    private long count(DefaultBlockParameterName at) {
        BigInteger n = rpc.call(w -> w.ethGetTransactionCount(address, at)).getTransactionCount();
        return n.longValueExact();
    }
}

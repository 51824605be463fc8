package io.isomargin.keeper.send;

import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcException;
import io.isomargin.abi.follower.RpcUnavailableException;
import io.isomargin.keeper.send.FeePolicy.Fees;
import io.isomargin.keeper.send.NonceManager.Rejection;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * Sends the keeper's transactions and sees them through: EIP-1559 fees from a {@link FeePolicy}, nonces from a
 * {@link NonceManager}, at most {@code maxInFlight} unmined at once. On every block ({@link #onBlock}) it collects
 * receipts; re-sends every transaction the node does not know, whatever its state (the same bytes while their max fee
 * covers the base fee, else re-signed at the current fee within the cap; above the cap it is reported stranded and
 * tried again next block); replaces one still unmined after {@code replaceAfterBlocks} blocks with the same nonce
 * and payload and bumped fees (up to the cap, then reports it once as stuck); and fills a nonce gap below its highest
 * in-flight nonce that lasts {@code replaceAfterBlocks} blocks with a 0-value transfer to itself at that nonce, so a
 * forgotten nonce never holds the ones above it. Fees are recorded as sent only once a node took them.
 *
 * <p>Nothing is sent twice by accident: the hash is computed locally from the signed bytes, so a send whose answer
 * was lost is re-sent byte for byte (the node answers "already known" or mines it once), and a "nonce too low"
 * is checked against our own hash before the nonce is resynchronized. Any other refusal is checked the same way: a
 * node that knows the transaction took it (an automining Hardhat node answers a reverting transaction with an error
 * but mines it), and it is followed to its receipt. Not thread-safe: one keeper loop drives it.
 */
public final class TxSender {
    private static final Logger log = LoggerFactory.getLogger(TxSender.class);
    private static final BigInteger SELF_TRANSFER_GAS = BigInteger.valueOf(21_000);

    /**
     * A call to send: {@code data} to contract {@code to}, with a gas limit; {@code label} names it in logs;
     * {@code extraTipWei} what it may add to the tip ({@link FeePolicy#initial(BigInteger, BigInteger, BigInteger)}).
     */
    public record Request(String to, String data, BigInteger gasLimit, String label, BigInteger extraTipWei) {
        public Request {
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(gasLimit, "gasLimit");
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(extraTipWei, "extraTipWei");
        }

        /** At the policy's own tip. */
        public Request(String to, String data, BigInteger gasLimit, String label) {
            this(to, data, gasLimit, label, BigInteger.ZERO);
        }
    }

    /** What happened to a transaction in flight. */
    public enum Kind {
        /** Mined successfully (receipt). */
        MINED,
        /** Mined and reverted (receipt). */
        REVERTED,
        /** Unmined after {@code replaceAfterBlocks} blocks: replaced with bumped fees. */
        REPLACED,
        /** Unmined, and a bump would pass the fee cap: left as it is (reported once; still re-sent if forgotten). */
        STUCK_AT_CAP,
        /** Its nonce was used by another transaction of this key. */
        DROPPED,
        /** The node did not know it: re-sent (same bytes, or re-signed at the current fee). */
        RESENT,
        /** The node does not know it and the base fee is above what the cap allows: re-sent when it falls. */
        STRANDED,
        /** A nonce gap below our in-flight transactions: a 0-value transfer to ourselves was sent at that nonce. */
        GAP_FILLED
    }

    /**
     * @param receipt the receipt (MINED, REVERTED), else null
     * @param detail  a readable reason
     */
    public record Outcome(Kind kind, Pending tx, TransactionReceipt receipt, String detail) {}

    /** One nonce in flight and every version of its transaction sent (the last is the current one). */
    public static final class Pending {
        private final Request request;
        private final long nonce;
        private final List<String> hashes = new ArrayList<>();
        private Fees fees;
        private String signedHex;
        private long firstSentBlock;
        private final long createdNanos = System.nanoTime();
        private long lastSentBlock;
        private boolean stuckReported;
        private volatile long strandedSince = -1; // read by /health

        private Pending(Request request, long nonce) {
            this.request = request;
            this.nonce = nonce;
        }

        public Request request() {
            return request;
        }

        public long nonce() {
            return nonce;
        }

        /** Every hash sent for this nonce, oldest first. */
        public List<String> hashes() {
            return Collections.unmodifiableList(hashes);
        }

        public String hash() {
            return hashes.getLast();
        }

        public Fees fees() {
            return fees;
        }

        /** Wall time since this nonce was first sent. */
        public java.time.Duration sinceFirstSent() {
            return java.time.Duration.ofNanos(System.nanoTime() - createdNanos);
        }

        /** The block of the first send of this nonce. */
        public long firstSentBlock() {
            return firstSentBlock;
        }

        public long lastSentBlock() {
            return lastSentBlock;
        }

        /** True while no node knows it and the fee cap does not allow a fee the node takes. */
        public boolean stranded() {
            return strandedSince >= 0;
        }

        @Override
        public String toString() {
            return request.label() + " nonce " + nonce + " " + hash() + " maxFee " + fees.maxFeePerGas() + " tip "
                    + fees.maxPriorityFeePerGas();
        }
    }

    private enum Broadcast { ACCEPTED, UNCERTAIN, NONCE_TOO_LOW, RESYNC, REJECTED }

    private final RpcClient rpc;
    private final RpcClient sendRpc; // where signed transactions go: rpc, or send.rpc-url
    private final Credentials credentials;
    private final long chainId;
    private final FeePolicy fees;
    private final NonceManager nonces;
    private final int replaceAfterBlocks;
    private final int maxInFlight;
    private final ConcurrentSkipListMap<Long, Pending> inFlight = new ConcurrentSkipListMap<>(); // read by status
    private final Map<Long, Long> gapSince = new HashMap<>(); // nonce below our highest in flight -> first block seen
    private final java.util.concurrent.ExecutorService broadcasting =
            java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor(); // a wave's broadcasts, side by side
    private volatile String fundsProblem; // the node's last "insufficient funds" refusal, until a send is accepted
    private String lastError;

    public TxSender(RpcClient rpc, Credentials credentials, long chainId, FeePolicy fees, NonceManager nonces,
            int replaceAfterBlocks, int maxInFlight) {
        this(rpc, rpc, credentials, chainId, fees, nonces, replaceAfterBlocks, maxInFlight);
    }

    /**
     * A sender whose signed transactions go to {@code sendRpc} alone (a private or protected endpoint,
     * {@code send.rpc-url}) while receipts, nonces and lookups go to {@code rpc}; a transaction the read endpoints do
     * not know is looked up on {@code sendRpc} before it is taken as forgotten (a private pool shows it to no one
     * else until it is mined).
     */
    public TxSender(RpcClient rpc, RpcClient sendRpc, Credentials credentials, long chainId, FeePolicy fees,
            NonceManager nonces, int replaceAfterBlocks, int maxInFlight) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.sendRpc = Objects.requireNonNull(sendRpc, "sendRpc");
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.chainId = chainId;
        this.fees = Objects.requireNonNull(fees, "fees");
        this.nonces = Objects.requireNonNull(nonces, "nonces");
        if (replaceAfterBlocks < 1) throw new IllegalArgumentException("replaceAfterBlocks must be at least 1");
        if (maxInFlight < 1) throw new IllegalArgumentException("maxInFlight must be at least 1");
        this.replaceAfterBlocks = replaceAfterBlocks;
        this.maxInFlight = maxInFlight;
    }

    /** The sending address. */
    public String address() {
        return credentials.getAddress();
    }

    /** Transactions sent and not yet mined, by nonce. */
    public List<Pending> inFlight() {
        return List.copyOf(inFlight.values());
    }

    /**
     * The node's last refusal of one of our transactions for lack of funds to pay its gas, until a later
     * transaction is accepted; null while sends go through.
     */
    public String fundsProblem() {
        return fundsProblem;
    }

    /** Forgets the last "insufficient funds" refusal (the key's balance rose since). */
    public void clearFundsProblem() {
        fundsProblem = null;
    }

    /** How many more transactions may be sent now. */
    public int freeSlots() {
        return Math.max(0, maxInFlight - inFlight.size());
    }

    /** True when another transaction may be sent now. */
    public boolean canSend() {
        return inFlight.size() < maxInFlight;
    }

    /**
     * Signs and sends {@code r} with fees for {@code baseFee}; returns it in flight.
     *
     * @throws GasAboveCapException   the fee needed is above the cap: nothing sent
     * @throws IllegalStateException  {@code maxInFlight} transactions are already in flight: nothing sent
     * @throws SendRejectedException  the node refused it for a reason other than nonces (insufficient funds, ...)
     */
    public Pending send(Request r, BigInteger baseFee, long block) {
        if (!canSend()) {
            throw new IllegalStateException(maxInFlight + " transaction(s) in flight, the configured limit: not sending "
                    + r.label());
        }
        Fees f = fees.initial(baseFee, r.extraTipWei(), r.gasLimit());
        block = headNow(block);
        for (int attempt = 0; attempt < 3; attempt++) {
            // never a nonce still in flight, whatever a resync read from a node that forgot some of them
            Pending p = new Pending(r, nonces.take(inFlight.isEmpty() ? 0 : inFlight.lastKey() + 1));
            String hex = sign(p.nonce, r, f);
            Broadcast b = broadcast(hex);
            switch (b) {
                case ACCEPTED, UNCERTAIN -> {
                    record(p, f, hex, block);
                    p.firstSentBlock = block;
                    inFlight.put(p.nonce, p);
                    if (b == Broadcast.UNCERTAIN) {
                        log.warn("sent {} without an answer from any endpoint ({}); will re-send the same bytes if no "
                                + "node knows it", p, lastError);
                    } else {
                        log.info("sent {} at head #{}", p, block);
                    }
                    return p;
                }
                case NONCE_TOO_LOW, RESYNC -> nonces.resync(lastError);
                case REJECTED -> {
                    nonces.giveBack(p.nonce);
                    throw new SendRejectedException(r.label() + " rejected by the node: " + lastError);
                }
            }
        }
        throw new SendRejectedException(r.label() + ": the node kept rejecting the nonce after resyncs: " + lastError);
    }

    /**
     * Sends a wave of transactions at once: signs them with consecutive nonces and broadcasts them side by side (a
     * node queues a nonce that arrives before the one below it), so a wave costs one round trip rather than one per
     * transaction. Returns, per request in order, the transaction in flight, or empty when it was not sent (the
     * in-flight limit, or the node refused it; the reason is logged). A refused nonce below accepted ones is a gap,
     * filled with a transfer to ourselves at the next block ({@link #onBlock}); refused nonces at the end are handed
     * out again.
     *
     * @throws GasAboveCapException the fee needed is above the cap: nothing sent
     */
    public List<Optional<Pending>> sendAll(List<Request> requests, BigInteger baseFee, long block) {
        List<Optional<Pending>> out = new ArrayList<>();
        if (requests.size() == 1) {
            try {
                out.add(Optional.of(send(requests.getFirst(), baseFee, block)));
            } catch (SendRejectedException | IllegalStateException e) {
                log.warn("{} not sent: {}", requests.getFirst().label(), e.getMessage());
                out.add(Optional.empty());
            }
            return out;
        }
        fees.initial(baseFee); // above the cap: nothing of the wave is sent
        block = headNow(block);
        int n = Math.min(requests.size(), freeSlots());
        List<Pending> wave = new ArrayList<>();
        List<String> hexes = new ArrayList<>();
        List<Fees> waveFees = new ArrayList<>();
        long floor = inFlight.isEmpty() ? 0 : inFlight.lastKey() + 1;
        for (int i = 0; i < n; i++) {
            Pending p = new Pending(requests.get(i), nonces.take(floor));
            floor = p.nonce + 1;
            wave.add(p);
            Fees f = fees.initial(baseFee, p.request.extraTipWei(), p.request.gasLimit());
            waveFees.add(f);
            hexes.add(sign(p.nonce, p.request, f));
        }
        List<java.util.concurrent.CompletableFuture<Attempt>> attempts = new ArrayList<>();
        for (String hex : hexes) {
            attempts.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> attempt(hex), broadcasting));
        }
        long lastAccepted = -1;
        boolean resync = false;
        Set<Long> rejected = new HashSet<>();
        for (int i = 0; i < n; i++) {
            Pending p = wave.get(i);
            Attempt a = attempts.get(i).join();
            if (a.result() == Broadcast.RESYNC && Rejection.of(a.error()) == Rejection.NONCE_TOO_HIGH) {
                // it overtook the one below (a node that refuses future nonces, as an automining Hardhat does):
                // the ones below are in by now, so the same bytes go again, in order
                a = attempt(hexes.get(i));
            }
            note(a);
            if (a.result() == Broadcast.ACCEPTED || a.result() == Broadcast.UNCERTAIN) {
                record(p, waveFees.get(i), hexes.get(i), block);
                p.firstSentBlock = block;
                inFlight.put(p.nonce, p);
                lastAccepted = p.nonce;
                if (a.result() == Broadcast.UNCERTAIN) {
                    log.warn("sent {} without an answer from any endpoint ({}); will re-send the same bytes if no "
                            + "node knows it", p, a.error());
                } else {
                    log.info("sent {} at head #{}", p, block);
                }
                out.add(Optional.of(p));
            } else {
                resync |= a.result() == Broadcast.NONCE_TOO_LOW || a.result() == Broadcast.RESYNC;
                if (a.result() == Broadcast.REJECTED) rejected.add(p.nonce);
                log.warn("{} not sent: refused by the node: {}", p.request.label(), a.error());
                out.add(Optional.empty());
            }
        }
        for (int i = n; i < requests.size(); i++) {
            log.warn("{} not sent: {} transaction(s) in flight, the configured limit", requests.get(i).label(),
                    maxInFlight);
            out.add(Optional.empty());
        }
        for (Pending p : wave) { // refused nonces below an accepted one: fill them at the next block
            if (p.nonce < lastAccepted && !inFlight.containsKey(p.nonce)) {
                // refused outright: nothing holds the nonce, fill it at once; refused for its nonce: something may
                // hold it (another process), so it gets the usual grace before a fill
                gapSince.put(p.nonce, rejected.contains(p.nonce) ? block - replaceAfterBlocks : block);
            }
        }
        if (resync) {
            nonces.resync(lastError);
        } else if (!wave.isEmpty()) { // refused ones at the end: their nonces are free again
            nonces.rewindTo(lastAccepted >= 0 ? lastAccepted + 1 : wave.getFirst().nonce);
        }
        return out;
    }

    /**
     * The block a send happens at: the node's head now, or {@code block} (the one the caller planned at) when that is
     * later or the node does not answer. A caller whose simulations took many blocks (seconds a call on a slow node)
     * would otherwise date its sends back to where it started, and {@link #onBlock} would replace them as unmined at
     * once, with bumped fees.
     */
    private long headNow(long block) {
        try {
            return Math.max(block, rpc.call(w -> w.ethBlockNumber()).getBlockNumber().longValueExact());
        } catch (RuntimeException e) {
            return block;
        }
    }

    /**
     * Follows the transactions in flight at a new block whose base fee is {@code baseFee}: receipts, re-sends of what
     * the node forgot, replacements, nonce gaps. Also resyncs the nonce when another sender used the key. Returns what
     * happened.
     */
    public List<Outcome> onBlock(long block, BigInteger baseFee) {
        List<Outcome> out = new ArrayList<>();
        if (inFlight.isEmpty()) {
            gapSince.clear();
            nonces.detectExternalUse();
            return out;
        }
        // the mined count first: a nonce under it whose receipt the lookups below do not find was used by another
        // transaction (read after them, it could count one of ours mined in between as taken by another)
        long minedCount = nonces.minedCount();
        // the receipts, side by side (one round trip, not one per transaction: seconds a block on a slow node)
        List<Pending> flying = List.copyOf(inFlight.values());
        List<java.util.concurrent.CompletableFuture<TransactionReceipt>> receipts = new ArrayList<>();
        for (Pending p : flying) {
            receipts.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> receipt(p), broadcasting));
        }
        for (int i = 0; i < flying.size(); i++) {
            Pending p = flying.get(i);
            try {
                follow(p, receipts.get(i).join(), minedCount, block, baseFee, out);
            } catch (RuntimeException e) { // one lookup failing must not lose the outcomes already found
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e;
                log.warn("following {} at #{} failed, tried again next block: {}", p, block, cause.toString());
            }
        }
        try {
            fillGaps(minedCount, block, baseFee, out);
        } catch (RuntimeException e) {
            log.warn("filling nonce gaps at #{} failed, tried again next block: {}", block, e.toString());
        }
        return out;
    }

    /** One transaction in flight at a new block: receipt, replaced nonce, forgotten, or due for a fee bump. */
    private void follow(Pending p, TransactionReceipt receipt, long minedCount, long block, BigInteger baseFee,
            List<Outcome> out) {
        {
            if (receipt != null) {
                inFlight.remove(p.nonce);
                boolean ok = receipt.isStatusOK();
                log.info("{} {} in #{} (gas used {})", ok ? "mined" : "REVERTED", p, receipt.getBlockNumber(),
                        receipt.getGasUsed());
                out.add(new Outcome(ok ? Kind.MINED : Kind.REVERTED, p, receipt, ok ? "mined" : "reverted"));
            } else if (p.nonce < minedCount) {
                inFlight.remove(p.nonce);
                log.warn("{} dropped: nonce {} was used by another transaction of this key", p, p.nonce);
                out.add(new Outcome(Kind.DROPPED, p, null, "nonce used by another transaction of this key"));
            } else if (p.lastSentBlock < block && !known(p.hash())) {
                resend(p, block, baseFee).ifPresent(out::add);
            } else if (block - p.lastSentBlock >= replaceAfterBlocks) {
                replace(p, block, baseFee).ifPresent(out::add);
            }
        }
    }

    /**
     * The node does not know {@code p} (it dropped it: its max fee fell under the base fee, the pool was full, the
     * node restarted): the same bytes while their max fee covers the base fee, else re-signed at the current fee
     * within the cap; else stranded until the base fee falls.
     */
    private Optional<Outcome> resend(Pending p, long block, BigInteger baseFee) {
        if (p.fees.maxFeePerGas().compareTo(baseFee) >= 0) {
            Broadcast b = broadcast(p.signedHex);
            if (b == Broadcast.ACCEPTED) {
                log.warn("no node knew {}; re-sent the same bytes", p);
                p.lastSentBlock = block;
                return Optional.of(unstranded(p, new Outcome(Kind.RESENT, p, null, "re-sent the same bytes")));
            }
            if (b == Broadcast.UNCERTAIN || b == Broadcast.NONCE_TOO_LOW) return Optional.empty(); // next block tells
        }
        Fees f;
        try {
            f = fees.initial(baseFee, p.request.extraTipWei(), p.request.gasLimit());
        } catch (GasAboveCapException e) {
            return stranded(p, block, e.getMessage());
        }
        String hex = sign(p.nonce, p.request, f);
        Broadcast b = broadcast(hex);
        if (b == Broadcast.NONCE_TOO_LOW) return Optional.empty();
        if (b == Broadcast.REJECTED || b == Broadcast.RESYNC) return stranded(p, block, lastError);
        String old = p.hash();
        record(p, f, hex, block);
        log.warn("no node knew {} (was {}); re-signed at the current fee", p, old);
        return Optional.of(unstranded(p, new Outcome(Kind.RESENT, p, null, "re-signed at the current fee, was "
                + old)));
    }

    private Optional<Outcome> stranded(Pending p, long block, String why) {
        if (p.strandedSince >= 0) return Optional.empty(); // reported once; tried again every block
        p.strandedSince = block;
        log.warn("{} is STRANDED: no node knows it and it cannot be re-sent now ({}); trying every block", p, why);
        return Optional.of(new Outcome(Kind.STRANDED, p, null, why));
    }

    private Outcome unstranded(Pending p, Outcome o) {
        if (p.strandedSince >= 0) log.info("{} no longer stranded after {} block(s)", p, p.lastSentBlock - p.strandedSince);
        p.strandedSince = -1;
        return o;
    }

    /**
     * A nonce between the mined count and our highest in-flight nonce that we hold nothing for (lost by a crash of
     * an earlier run, taken by another process that then stalled) holds every transaction above it. After
     * {@code replaceAfterBlocks} blocks (time for someone else's transaction there to be mined) it is filled with a
     * 0-value transfer to ourselves, followed like any other transaction.
     */
    private void fillGaps(long minedCount, long block, BigInteger baseFee, List<Outcome> out) {
        if (inFlight.isEmpty()) {
            gapSince.clear();
            return;
        }
        long highest = inFlight.lastKey();
        gapSince.keySet().removeIf(n -> n < minedCount || n > highest || inFlight.containsKey(n));
        int filled = 0;
        for (long n = minedCount; n < highest && filled < maxInFlight; n++) {
            if (inFlight.containsKey(n)) continue;
            long since = gapSince.computeIfAbsent(n, k -> block);
            if (block - since < replaceAfterBlocks) continue;
            filled++;
            Fees f;
            try {
                f = fees.initial(baseFee);
            } catch (GasAboveCapException e) {
                continue; // the gap's transactions wait like the others; tried again next block
            }
            Pending p = new Pending(new Request(address(), "0x", SELF_TRANSFER_GAS, "fill nonce gap " + n), n);
            String hex = sign(n, p.request, f);
            Broadcast b = broadcast(hex);
            if (b != Broadcast.ACCEPTED && b != Broadcast.UNCERTAIN) {
                log.warn("nonce {} is a gap below our in-flight transactions; filling it was refused: {}", n,
                        lastError);
                continue;
            }
            record(p, f, hex, block);
            p.firstSentBlock = block;
            inFlight.put(n, p);
            gapSince.remove(n);
            log.warn("nonce {} was a gap below our in-flight transactions for {} block(s): filled with {}", n,
                    block - since, p);
            out.add(new Outcome(Kind.GAP_FILLED, p, null, "nonce gap filled with a 0-value transfer to ourselves"));
        }
    }

    /** {@code hex}, signed at {@code f}, reached a node (or may have): it is the current version of {@code p}. */
    private void record(Pending p, Fees f, String hex, long block) {
        p.fees = f;
        p.signedHex = hex;
        p.hashes.add(Hash.sha3(hex));
        p.lastSentBlock = block;
    }

    private Optional<Outcome> replace(Pending p, long block, BigInteger baseFee) {
        Optional<Fees> bumped = fees.bump(p.fees, baseFee);
        if (bumped.isEmpty()) {
            if (p.stuckReported) return Optional.empty();
            p.stuckReported = true;
            log.warn("{} unmined for {} blocks and a 12.5% bump would pass gas.max-fee-cap {}: leaving it", p,
                    block - p.lastSentBlock, fees.maxFeeCap());
            return Optional.of(new Outcome(Kind.STUCK_AT_CAP, p, null, "a fee bump would pass the cap"));
        }
        String hex = sign(p.nonce, p.request, bumped.get());
        Broadcast b = broadcast(hex);
        if (b == Broadcast.NONCE_TOO_LOW) return Optional.empty(); // mined meanwhile: the next block has the receipt
        if (b == Broadcast.REJECTED || b == Broadcast.RESYNC) {
            // the fees stay those a node took; the next try is replaceAfterBlocks blocks later
            log.warn("replacement of {} refused: {}", p, lastError);
            p.lastSentBlock = block;
            return Optional.empty();
        }
        String old = p.hash();
        record(p, bumped.get(), hex, block);
        log.info("replaced {} with {}", old, p);
        return Optional.of(new Outcome(Kind.REPLACED, p, null, "replaced " + old));
    }

    private String sign(long nonce, Request r, Fees f) {
        RawTransaction raw = RawTransaction.createTransaction(chainId, BigInteger.valueOf(nonce), r.gasLimit(), r.to(),
                BigInteger.ZERO, r.data(), f.maxPriorityFeePerGas(), f.maxFeePerGas());
        return Numeric.toHexString(TransactionEncoder.signMessage(raw, chainId, credentials));
    }

    private Broadcast broadcast(String hex) {
        Attempt a = attempt(hex);
        note(a);
        return a.result();
    }

    /** One broadcast's outcome; {@code error} the node's message (null when accepted). */
    private record Attempt(Broadcast result, String error, boolean insufficientFunds) {}

    /** Remembers what an attempt said (the sender's thread only). */
    private void note(Attempt a) {
        if (a.error() != null) lastError = a.error();
        if (a.result() == Broadcast.ACCEPTED) fundsProblem = null;
        if (a.insufficientFunds()) fundsProblem = a.error();
    }

    /**
     * Sends {@code hex} and classifies the answer; touches no field, so a wave's broadcasts may run side by side. Never
     * throws: a failure while classifying a refusal (the receipt or transaction lookup) is UNCERTAIN, so the
     * transaction is followed as possibly sent rather than forgotten.
     */
    private Attempt attempt(String hex) {
        try {
            return classify(hex);
        } catch (RuntimeException e) {
            return new Attempt(Broadcast.UNCERTAIN, String.valueOf(e.getMessage()), false);
        }
    }

    private Attempt classify(String hex) {
        try {
            sendRpc.call(w -> w.ethSendRawTransaction(hex));
            return new Attempt(Broadcast.ACCEPTED, null, false);
        } catch (RpcUnavailableException e) {
            return new Attempt(Broadcast.UNCERTAIN, e.getMessage(), false);
        } catch (RpcException e) {
            String m = e.getMessage();
            Broadcast b = switch (Rejection.of(m)) {
                case ALREADY_KNOWN -> Broadcast.ACCEPTED;
                case NONCE_TOO_LOW -> receiptOf(Hash.sha3(hex)) != null ? Broadcast.ACCEPTED : Broadcast.NONCE_TOO_LOW;
                case UNDERPRICED_REPLACEMENT, NONCE_TOO_HIGH -> Broadcast.RESYNC;
                // an automining Hardhat node answers a transaction that reverts with an error, yet mines it
                case OTHER -> known(Hash.sha3(hex)) ? Broadcast.ACCEPTED : Broadcast.REJECTED;
            };
            boolean funds = b == Broadcast.REJECTED && m != null
                    && m.toLowerCase(Locale.ROOT).contains("insufficient funds");
            return new Attempt(b, m, funds);
        }
    }

    private TransactionReceipt receipt(Pending p) {
        for (int i = p.hashes.size() - 1; i >= 0; i--) {
            TransactionReceipt r = receiptOf(p.hashes.get(i));
            if (r != null) return r;
        }
        return null;
    }

    private TransactionReceipt receiptOf(String hash) {
        return rpc.call(w -> w.ethGetTransactionReceipt(hash)).getTransactionReceipt().orElse(null);
    }

    private boolean known(String hash) {
        if (rpc.call(w -> w.ethGetTransactionByHash(hash)).getTransaction().isPresent()) return true;
        if (sendRpc == rpc) return false;
        try {
            return sendRpc.call(w -> w.ethGetTransactionByHash(hash)).getTransaction().isPresent();
        } catch (RuntimeException e) { // a relay that serves no lookups: unknown, so the same bytes go again
            return false;
        }
    }
}

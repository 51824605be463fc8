package io.isomargin.keeper.book;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Every open vault of the followed markets, the markets' state, their oracles' latest answers and the margin-guard
 * policies of their vaults, in memory, with an undo journal for reorgs.
 *
 * <p>Single writer: one thread (the chain follower's) makes every change, each tagged with the block it belongs to
 * ({@link #at}). Each change records the value it replaced, so {@link #rollbackTo} can restore the state at the end of
 * any block from {@link #undoableFrom()} up, exactly, without reading the chain again; {@link #forgetThrough} drops the
 * journal of blocks that can no longer be reorganised. Every change, rollbacks included, is announced to the
 * {@link BookListener}. Reads from other threads are not supported.
 */
public final class PositionBook {
    private final Map<Long, TrackedMarket> markets = new HashMap<>();
    private final Map<Long, VaultPosition> vaults = new HashMap<>();
    private final Map<Long, Map<Long, VaultPosition>> vaultsByMarket = new HashMap<>();
    private final Map<String, OraclePrice> prices = new HashMap<>();
    private final Map<Long, GuardPolicy> policies = new HashMap<>();
    private final Deque<Undo> journal = new ArrayDeque<>();
    private BookListener listener = NO_LISTENER;
    private long block = -1;
    private long undoableFrom = -1;

    private sealed interface Undo {
        long block();
    }

    private record MarketUndo(long block, long id, TrackedMarket before) implements Undo {}

    private record VaultUndo(long block, long id, VaultPosition before) implements Undo {}

    private record PriceUndo(long block, String oracle, OraclePrice before) implements Undo {}

    private record PolicyUndo(long block, long vaultId, GuardPolicy before) implements Undo {}

    /** Sets the one listener (replacing any before). */
    public void listener(BookListener l) {
        this.listener = Objects.requireNonNull(l, "listener");
    }

    /** The block the following changes belong to; blocks must not go backwards except through a rollback. */
    public void at(long blockNumber) {
        if (blockNumber < block) {
            throw new IllegalArgumentException("block " + blockNumber + " is before the book's block " + block);
        }
        block = blockNumber;
    }

    /** The block of the last change or rollback (the state's block once a batch is applied). */
    public long block() {
        return block;
    }

    /** The lowest block {@link #rollbackTo} can return to. */
    public long undoableFrom() {
        return undoableFrom;
    }

    /* READS */

    public TrackedMarket market(long id) {
        return markets.get(id);
    }

    public Collection<TrackedMarket> markets() {
        return Collections.unmodifiableCollection(markets.values());
    }

    public VaultPosition vault(long id) {
        return vaults.get(id);
    }

    /** The open vaults of one market (a live view: do not hold it across changes). */
    public Collection<VaultPosition> vaultsOf(long marketId) {
        Map<Long, VaultPosition> m = vaultsByMarket.get(marketId);
        return m == null ? Collections.emptyList() : Collections.unmodifiableCollection(m.values());
    }

    public int vaultCount() {
        return vaults.size();
    }

    /** The latest answer of {@code oracle}, or null when none is known. */
    public OraclePrice price(String oracle) {
        return prices.get(oracle.toLowerCase(Locale.ROOT));
    }

    /** The guard policy of vault {@code vaultId}, or null when it has none. */
    public GuardPolicy policy(long vaultId) {
        return policies.get(vaultId);
    }

    /**
     * Every guard policy the book holds (a live view: do not hold it across changes). A policy stays after its vault
     * closes or it expires; {@link GuardPolicy#live} says whether the guard would still act on it.
     */
    public Collection<GuardPolicy> policies() {
        return Collections.unmodifiableCollection(policies.values());
    }

    /* CHANGES */

    public void putMarket(TrackedMarket after) {
        TrackedMarket before = markets.put(after.id(), after);
        journal.addLast(new MarketUndo(block, after.id(), before));
        listener.marketChanged(before, after);
    }

    public void putVault(VaultPosition after) {
        VaultPosition before = setVault(after.id(), after);
        journal.addLast(new VaultUndo(block, after.id(), before));
        listener.vaultChanged(before, after);
    }

    /** Forgets a closed vault. */
    public void removeVault(long id) {
        VaultPosition before = setVault(id, null);
        if (before == null) return;
        journal.addLast(new VaultUndo(block, id, before));
        listener.vaultChanged(before, null);
    }

    public void putPrice(String oracle, OraclePrice after) {
        String key = oracle.toLowerCase(Locale.ROOT);
        OraclePrice before = prices.put(key, after);
        journal.addLast(new PriceUndo(block, key, before));
        listener.priceChanged(key, before, after);
    }

    /** Sets (or replaces) a vault's guard policy. */
    public void putPolicy(GuardPolicy after) {
        GuardPolicy before = policies.put(after.vaultId(), after);
        journal.addLast(new PolicyUndo(block, after.vaultId(), before));
        listener.policyChanged(before, after);
    }

    /** Deletes a vault's guard policy (revoked). */
    public void removePolicy(long vaultId) {
        GuardPolicy before = policies.remove(vaultId);
        if (before == null) return;
        journal.addLast(new PolicyUndo(block, vaultId, before));
        listener.policyChanged(before, null);
    }

    /* JOURNAL */

    /**
     * Undoes every change of the blocks above {@code ancestor}, newest first, announcing each to the listener.
     *
     * @return false, changing nothing, when the journal does not reach back to {@code ancestor}
     */
    public boolean rollbackTo(long ancestor) {
        if (ancestor < undoableFrom) return false;
        while (!journal.isEmpty() && journal.peekLast().block() > ancestor) {
            switch (journal.pollLast()) {
                case MarketUndo u -> {
                    TrackedMarket after = u.before() == null ? markets.remove(u.id()) : markets.put(u.id(), u.before());
                    listener.marketChanged(after, u.before());
                }
                case VaultUndo u -> {
                    VaultPosition after = setVault(u.id(), u.before());
                    listener.vaultChanged(after, u.before());
                }
                case PriceUndo u -> {
                    OraclePrice after = u.before() == null ? prices.remove(u.oracle()) : prices.put(u.oracle(),
                            u.before());
                    listener.priceChanged(u.oracle(), after, u.before());
                }
                case PolicyUndo u -> {
                    GuardPolicy after = u.before() == null ? policies.remove(u.vaultId())
                            : policies.put(u.vaultId(), u.before());
                    listener.policyChanged(after, u.before());
                }
            }
        }
        block = ancestor;
        return true;
    }

    /** Drops the journal of blocks up to {@code finalBlock}: they can no longer be rolled back. */
    public void forgetThrough(long finalBlock) {
        while (!journal.isEmpty() && journal.peekFirst().block() <= finalBlock) journal.pollFirst();
        undoableFrom = Math.max(undoableFrom, finalBlock);
    }

    /** How many changes the journal holds (for tests and status). */
    public int journalSize() {
        return journal.size();
    }

    /**
     * Replaces everything with a snapshot taken at the end of {@code snapshotBlock}; the journal starts empty there.
     */
    public void reset(BookSnapshot snapshot) {
        markets.clear();
        vaults.clear();
        vaultsByMarket.clear();
        prices.clear();
        policies.clear();
        journal.clear();
        snapshot.markets().forEach(m -> markets.put(m.id(), m));
        snapshot.vaults().forEach(v -> setVault(v.id(), v));
        snapshot.prices().forEach((oracle, p) -> prices.put(oracle.toLowerCase(Locale.ROOT), p));
        snapshot.policies().forEach(p -> policies.put(p.vaultId(), p));
        block = snapshot.block();
        undoableFrom = snapshot.block();
        listener.bookReset();
    }

    private VaultPosition setVault(long id, VaultPosition after) {
        VaultPosition before = after == null ? vaults.remove(id) : vaults.put(id, after);
        if (before != null && (after == null || before.marketId() != after.marketId())) {
            Map<Long, VaultPosition> m = vaultsByMarket.get(before.marketId());
            m.remove(id);
            if (m.isEmpty()) vaultsByMarket.remove(before.marketId());
        }
        if (after != null) vaultsByMarket.computeIfAbsent(after.marketId(), k -> new HashMap<>()).put(id, after);
        return before;
    }

    private static final BookListener NO_LISTENER = new BookListener() {
        @Override
        public void marketChanged(TrackedMarket before, TrackedMarket after) {}

        @Override
        public void vaultChanged(VaultPosition before, VaultPosition after) {}

        @Override
        public void priceChanged(String oracle, OraclePrice before, OraclePrice after) {}

        @Override
        public void bookReset() {}
    };
}

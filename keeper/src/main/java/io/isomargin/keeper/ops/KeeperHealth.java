package io.isomargin.keeper.ops;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What {@code /health} reports. The keeper is unhealthy (503, with a reason for each failing check) when it cannot do
 * its job: it stopped following, it follows too far behind, no endpoint answered a head poll for too long, one of
 * its transactions is unmined for too many blocks or stranded (forgotten by the node and not re-sendable under the
 * fee cap), or it cannot pay gas. A condition outside it (a market whose oracle is stale) does not make it unhealthy:
 * it is listed in {@code conditions}.
 *
 * @param block               the last block the keeper has judged (-1 before the first)
 * @param head                the latest chain head seen (-1 before the first poll)
 * @param following           true while the follower and the executor run (false once one stopped)
 * @param inFlight            transactions sent and not yet mined
 * @param sinceHeadAnswer     how long since an endpoint answered a head poll
 * @param maxSilence          the longest {@code sinceHeadAnswer} that is healthy ({@code http.max-silent-blocks}
 *                            block times)
 * @param oldestUnminedBlocks blocks since the oldest transaction in flight was first sent (0 with none)
 * @param stranded            transactions in flight that no node knows and that cannot be re-sent under the cap
 * @param gasProblem          why the keeper cannot pay gas (null when it can)
 * @param conditions          named conditions outside the keeper (stale oracles), readable sentences
 */
public record KeeperHealth(long block, long head, boolean following, int inFlight, Duration sinceHeadAnswer,
        Duration maxSilence, long oldestUnminedBlocks, int stranded, String gasProblem, List<String> conditions) {

    /** One failed check: {@code kind} is stable for alerts, {@code message} says what is wrong. */
    public record Reason(String kind, String message) {}

    public KeeperHealth {
        Objects.requireNonNull(sinceHeadAnswer, "sinceHeadAnswer");
        Objects.requireNonNull(maxSilence, "maxSilence");
        conditions = List.copyOf(conditions);
    }

    /** Before following starts (approvals, the book's snapshot): not yet able to liquidate. */
    public static KeeperHealth starting(Duration sinceHeadAnswer) {
        return new KeeperHealth(-1, -1, false, 0, sinceHeadAnswer, Duration.ofDays(1), 0, 0, null, List.of());
    }

    /** Following state only: every other check passes. */
    public KeeperHealth(long block, long head, boolean following, int inFlight) {
        this(block, head, following, inFlight, Duration.ZERO, Duration.ofDays(1), 0, 0, null, List.of());
    }

    /** Head minus judged block; 0 before the head is known. */
    public long lag() {
        return head < 0 ? 0 : Math.max(0, head - Math.max(block, 0));
    }

    /**
     * The checks that fail, most fundamental first; empty when healthy.
     *
     * @param maxHealthyLag    blocks the keeper may trail the head
     * @param maxUnminedBlocks blocks a transaction may stay unmined
     */
    public List<Reason> reasons(long maxHealthyLag, long maxUnminedBlocks) {
        List<Reason> out = new ArrayList<>();
        if (!following) {
            out.add(block < 0 && head < 0 ? new Reason("starting", "approving loan tokens and loading the book")
                    : new Reason("stopped", "the keeper stopped following the chain"));
        }
        if (sinceHeadAnswer.compareTo(maxSilence) > 0) {
            out.add(new Reason("node-silent", "no endpoint answered a head poll for " + seconds(sinceHeadAnswer)
                    + " (limit " + seconds(maxSilence) + ")"));
        }
        if (following && lag() > maxHealthyLag) {
            out.add(new Reason("lagging", "judging block " + block + ", " + lag() + " block(s) behind head " + head
                    + " (limit " + maxHealthyLag + ")"));
        }
        if (stranded > 0) {
            out.add(new Reason("stranded-transaction", stranded + " transaction(s) forgotten by the node that the fee "
                    + "cap keeps from being re-sent"));
        }
        if (oldestUnminedBlocks > maxUnminedBlocks) {
            out.add(new Reason("stuck-transaction", "a transaction has been unmined for " + oldestUnminedBlocks
                    + " blocks (limit " + maxUnminedBlocks + ")"));
        }
        if (gasProblem != null) out.add(new Reason("no-gas", gasProblem));
        return out;
    }

    private static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}

package io.isomargin.indexer.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class IndexerMetaTest {
    private static final String ENGINE = "0x" + "a".repeat(40);
    private static final String GUARD = "0x" + "B".repeat(40);
    private static final String OTHER_GUARD = "0x" + "c".repeat(40);

    @Test
    void aMirrorFollowsTheSameGuardOrNone() {
        assertEquals(Optional.empty(), meta(GUARD).mismatch(meta(GUARD.toLowerCase())));
        assertEquals(Optional.empty(), meta(null).mismatch(meta(null)));
        assertEquals(GUARD.toLowerCase(), meta(GUARD).guard(), "stored lower-case");
    }

    @Test
    void anotherGuardIsAnotherDeployment() {
        String why = meta(GUARD).mismatch(meta(OTHER_GUARD)).orElseThrow();
        assertTrue(why.contains("with margin guard " + GUARD.toLowerCase()) && why.contains(OTHER_GUARD), why);
        why = meta(GUARD).mismatch(meta(null)).orElseThrow();
        assertTrue(why.contains("names no guard"), why);
    }

    @Test
    void aMirrorWrittenWithoutFollowingTheGuardIsRefusedSinceItLacksItsPoliciesAndTopUps() {
        String why = meta(null).mismatch(meta(GUARD)).orElseThrow();
        assertTrue(why.contains("without following a margin guard") && why.contains("lacks the guard's policies"),
                why);
    }

    private static IndexerMeta meta(String guard) {
        return new IndexerMeta(31337, ENGINE, 1, null, guard);
    }
}

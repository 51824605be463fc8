package io.isomargin.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** What {@code --version} prints comes from the build: the project's version and, in a git checkout, the commit. */
class BuildInfoTest {
    @Test
    void theBuildFillsInTheVersionAndTheCommit() throws Exception {
        String pom = Files.readString(AnvilChain.repoRoot().resolve("pom.xml"));
        assertTrue(pom.contains("<version>" + BuildInfo.version() + "</version>"), BuildInfo.version());
        if (Files.exists(AnvilChain.repoRoot().resolve(".git"))) {
            assertTrue(BuildInfo.commit().matches("[0-9a-f]{7,40}(-dirty)?"), BuildInfo.commit());
        }
        assertEquals("indexer " + BuildInfo.version() + " (commit " + BuildInfo.commit() + ")",
                BuildInfo.describe("indexer"));
    }
}

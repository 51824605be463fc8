package io.isomargin.abi.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeploymentFileTest {
    @TempDir Path dir;
    static final String A = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

    @Test
    void readsWhatTheForgeScriptsWrite() throws IOException {
        Path p = dir.resolve("local.json");
        Files.writeString(p, "{\"chainId\":31337,\"engine\":\"" + A + "\",\"deployBlock\":1,\"owner\":\"" + A
                + "\",\"guardian\":\"" + A + "\",\"markets\":[{\"id\":1,\"name\":\"WETH/USDC\",\"loanToken\":\"" + A
                + "\",\"collateralToken\":\"" + A + "\",\"oracle\":\"" + A + "\"}]}");
        DeploymentFile d = DeploymentFile.read(p);
        assertEquals(31337, d.chainId());
        assertEquals(A, d.engine());
        assertEquals(BigInteger.ONE, d.markets().get(0).id());
        assertEquals(1, d.oracles().size());
    }

    @Test
    void aBrokenFileNamesTheField() throws IOException {
        Path p = dir.resolve("bad.json");
        Files.writeString(p, "{\"chainId\":31337,\"engine\":\"0x12\",\"deployBlock\":1,\"markets\":[]}");
        ConfigException e = assertThrows(ConfigException.class, () -> DeploymentFile.read(p));
        assertTrue(e.getMessage().contains("markets"), e.getMessage());
        assertThrows(ConfigException.class, () -> DeploymentFile.read(dir.resolve("missing.json")));
    }
}

package io.isomargin.abi.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
    static final String L = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";

    @Test
    void readsWhatTheForgeScriptsWrite() throws IOException {
        Path p = dir.resolve("local.json");
        Files.writeString(p, "{\"chainId\":31337,\"engine\":\"" + A + "\",\"lens\":\"" + L
                + "\",\"deployBlock\":1,\"owner\":\"" + A + "\",\"guardian\":\"" + A + "\",\"markets\":[{\"id\":1,\"name\":\"WETH/USDC\",\"loanToken\":\"" + A
                + "\",\"collateralToken\":\"" + A + "\",\"oracle\":\"" + A + "\"}]}");
        DeploymentFile d = DeploymentFile.read(p);
        assertEquals(31337, d.chainId());
        assertEquals(A, d.engine());
        assertEquals(L, d.lens());
        assertEquals(BigInteger.ONE, d.markets().get(0).id());
        assertEquals(1, d.oracles().size());
        assertFalse(d.hasGuard(), "a file written before the margin guard existed has none");

        Files.writeString(p, Files.readString(p).replace("\"deployBlock\"", "\"guard\":\"" + A + "\",\"deployBlock\""));
        assertEquals(A, DeploymentFile.read(p).guard());
        Files.writeString(p, Files.readString(p).replace("\"guard\":\"" + A, "\"guard\":\"0x12"));
        ConfigException e = assertThrows(ConfigException.class, () -> DeploymentFile.read(p));
        assertTrue(e.getMessage().contains("guard"), e.getMessage());
    }

    @Test
    void theCapitalFreePeripheryIsOptional() throws IOException {
        Path p = dir.resolve("local.json");
        String plain = "{\"chainId\":31337,\"engine\":\"" + A + "\",\"lens\":\"" + L + "\",\"guard\":\"" + A
                + "\",\"deployBlock\":1,\"owner\":\"" + A + "\",\"guardian\":\"" + A + "\",\"markets\":[{\"id\":1,"
                + "\"name\":\"WETH/USDC\",\"loanToken\":\"" + A + "\",\"collateralToken\":\"" + A + "\",\"oracle\":\"" + A
                + "\"}]}";
        Files.writeString(p, plain);
        DeploymentFile d = DeploymentFile.read(p);
        assertNull(d.liquidator());
        assertNull(d.uniswap());
        assertNull(d.markets().get(0).pair());
        assertFalse(d.hasCapitalFree());

        // what DeployLocal writes with UNISWAP_DEPTH
        String full = plain.replace(",\"markets\"", ",\"liquidator\":\"" + L + "\",\"uniswap\":{\"factory\":\"" + A
                + "\",\"router\":\"" + L + "\"},\"markets\"").replace("\"oracle\":\"" + A + "\"}",
                "\"oracle\":\"" + A + "\",\"pair\":\"" + L + "\"}");
        Files.writeString(p, full);
        d = DeploymentFile.read(p);
        assertEquals(L, d.liquidator());
        assertEquals(new DeploymentFile.Uniswap(A, L), d.uniswap());
        assertEquals(L, d.markets().get(0).pair());
        assertTrue(d.hasCapitalFree());

        // a market without a pool: listed, but capital-free liquidation cannot run there
        Files.writeString(p, full.replace(",\"pair\":\"" + L + "\"", ""));
        assertFalse(DeploymentFile.read(p).hasCapitalFree());

        Files.writeString(p, full.replace("\"router\":\"" + L, "\"router\":\"0x12"));
        ConfigException e = assertThrows(ConfigException.class, () -> DeploymentFile.read(p));
        assertTrue(e.getMessage().contains("uniswap.router"), e.getMessage());
        Files.writeString(p, full.replace("\"liquidator\":\"" + L, "\"liquidator\":\"nope"));
        e = assertThrows(ConfigException.class, () -> DeploymentFile.read(p));
        assertTrue(e.getMessage().contains("liquidator"), e.getMessage());
        Files.writeString(p, full.replace("\"pair\":\"" + L, "\"pair\":\"0x1"));
        e = assertThrows(ConfigException.class, () -> DeploymentFile.read(p));
        assertTrue(e.getMessage().contains("markets[0].pair"), e.getMessage());
    }

    @Test
    void aBrokenFileNamesTheField() throws IOException {
        Path p = dir.resolve("bad.json");
        Files.writeString(p, "{\"chainId\":31337,\"engine\":\"0x12\",\"deployBlock\":1,\"markets\":[]}");
        ConfigException e = assertThrows(ConfigException.class, () -> DeploymentFile.read(p));
        assertTrue(e.getMessage().contains("markets"), e.getMessage());
        assertThrows(ConfigException.class, () -> DeploymentFile.read(dir.resolve("missing.json")));
    }

    @Test
    void theLensIsRequired() throws IOException {
        String market = "[{\"id\":1,\"name\":\"WETH/USDC\",\"loanToken\":\"" + A + "\",\"collateralToken\":\"" + A
                + "\",\"oracle\":\"" + A + "\"}]";
        Path missing = dir.resolve("v1.json");
        Files.writeString(missing, "{\"chainId\":31337,\"engine\":\"" + A + "\",\"deployBlock\":1,\"owner\":\"" + A
                + "\",\"guardian\":\"" + A + "\",\"markets\":" + market + "}");
        ConfigException e = assertThrows(ConfigException.class, () -> DeploymentFile.read(missing));
        assertTrue(e.getMessage().contains("lens"), e.getMessage());
        Path bad = dir.resolve("bad-lens.json");
        Files.writeString(bad, "{\"chainId\":31337,\"engine\":\"" + A + "\",\"lens\":\"0x12\",\"deployBlock\":1,"
                + "\"owner\":\"" + A + "\",\"guardian\":\"" + A + "\",\"markets\":" + market + "}");
        e = assertThrows(ConfigException.class, () -> DeploymentFile.read(bad));
        assertTrue(e.getMessage().contains("lens"), e.getMessage());
    }
}

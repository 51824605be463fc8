package io.isomargin.keeper.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.WalletUtils;
import org.web3j.utils.Numeric;

/**
 * Every way the key can fail to load gives a clear error; no message, log line or toString ever holds the key or the
 * password.
 */
class KeyLoaderTest {
    private static final String PASSWORD = "correct horse battery staple 7f3a";
    private static final long MAINNET = 1;

    @TempDir
    Path dir;

    private ECKeyPair pair;
    private String keyHex;
    private Path keystore;
    private Path passwordFile;
    private final List<String> texts = new ArrayList<>();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void keystore() throws Exception {
        pair = Keys.createEcKeyPair();
        keyHex = Numeric.toHexStringNoPrefixZeroPadded(pair.getPrivateKey(), 64);
        keystore = dir.resolve(WalletUtils.generateWalletFile(PASSWORD, pair, dir.toFile(), false));
        passwordFile = Files.writeString(dir.resolve("password"), PASSWORD + "\n");
        logs.start();
        root().addAppender(logs);
    }

    @AfterEach
    void noSecretAnywhere() {
        root().detachAppender(logs);
        logs.list.forEach(e -> texts.add(e.getFormattedMessage()));
        assertFalse(texts.isEmpty());
        for (String t : texts) {
            assertFalse(t.toLowerCase().contains(keyHex.toLowerCase()), "the key leaked: " + t);
            assertFalse(t.contains(keyHex.substring(0, 16).toLowerCase()), "part of the key leaked: " + t);
            assertFalse(t.contains(PASSWORD), "the password leaked: " + t);
        }
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    @Test
    void aKeystoreWithItsPasswordFileLoadsTheKeyOnAnyChain() {
        Credentials c = load(KeyConfig.keystore(keystore, passwordFile), MAINNET);
        assertEquals(pair, c.getEcKeyPair());
        texts.add(c.toString());
        texts.add(KeyConfig.keystore(keystore, passwordFile).toString());
        assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains(c.getAddress())));
    }

    @Test
    void oneTrailingNewlineOfThePasswordFileIsIgnoredCrlfToo() throws Exception {
        Files.writeString(passwordFile, PASSWORD + "\r\n");
        assertEquals(pair, load(KeyConfig.keystore(keystore, passwordFile), MAINNET).getEcKeyPair());
        Files.writeString(passwordFile, PASSWORD);
        assertEquals(pair, load(KeyConfig.keystore(keystore, passwordFile), MAINNET).getEcKeyPair());
        Files.writeString(passwordFile, PASSWORD + "\n\n");
        failure(KeyConfig.keystore(keystore, passwordFile), MAINNET, "wrong password for keystore " + keystore);
    }

    @Test
    void aWrongPasswordIsNamedAsSuch() throws Exception {
        Files.writeString(passwordFile, "not the password\n");
        failure(KeyConfig.keystore(keystore, passwordFile), MAINNET, "wrong password for keystore " + keystore);
    }

    @Test
    void missingFilesAreNamedWithTheirConfigKey() {
        failure(KeyConfig.keystore(dir.resolve("nope.json"), passwordFile), MAINNET,
                "keystore " + dir.resolve("nope.json") + " (key.keystore) does not exist");
        failure(KeyConfig.keystore(keystore, dir.resolve("nopw")), MAINNET,
                "password file " + dir.resolve("nopw") + " (key.password-file) does not exist");
        failure(KeyConfig.keystore(dir, passwordFile), MAINNET, "(key.keystore) is not a regular file");
    }

    @Test
    void aMalformedKeystoreIsNamedWithoutQuotingItsContents() throws Exception {
        // a wrong path pointing at a file that holds a raw key: the parser's message would quote it
        Path raw = Files.writeString(dir.resolve("raw-key.txt"), "0x" + keyHex + "\n");
        failure(KeyConfig.keystore(raw, passwordFile), MAINNET, "is not a keystore JSON file");
        Path truncated = Files.writeString(dir.resolve("truncated.json"),
                Files.readString(keystore).substring(0, 60));
        failure(KeyConfig.keystore(truncated, passwordFile), MAINNET, "is not a keystore JSON file");
        Path empty = Files.writeString(dir.resolve("empty.json"), "{}");
        failure(KeyConfig.keystore(empty, passwordFile), MAINNET, "keystore " + empty);
    }

    @Test
    void aRawKeyFromTheEnvironmentLoadsOnTheDevChainOnly() {
        KeyLoader loader = new KeyLoader(Map.of("KEEPER_DEV_KEY", "0x" + keyHex));
        assertEquals(pair, loader.load(KeyConfig.privateKeyEnv("KEEPER_DEV_KEY"), KeyLoader.DEV_CHAIN_ID)
                .getEcKeyPair());
        assertEquals(pair, new KeyLoader(Map.of("K", keyHex + "\n")).load(KeyConfig.privateKeyEnv("K"),
                KeyLoader.DEV_CHAIN_ID).getEcKeyPair());
        KeyException e = assertThrows(KeyException.class,
                () -> loader.load(KeyConfig.privateKeyEnv("KEEPER_DEV_KEY"), MAINNET));
        texts.add(e.getMessage());
        assertTrue(e.getMessage().contains("only on a local dev chain (chain id 31337)")
                && e.getMessage().contains("chain 1"), e.getMessage());
    }

    @Test
    void aMissingOrMalformedRawKeyIsNamedWithoutShowingIt() {
        failure(new KeyLoader(Map.of()), KeyConfig.privateKeyEnv("KEEPER_DEV_KEY"),
                "environment variable KEEPER_DEV_KEY (key.private-key-env) is not set");
        for (String bad : List.of(keyHex.substring(0, 63), keyHex + "0", "0x" + keyHex.substring(0, 62) + "zz",
                "0".repeat(64), "f".repeat(64))) {
            String message = failure(new KeyLoader(Map.of("K", bad)), KeyConfig.privateKeyEnv("K"),
                    "environment variable K (key.private-key-env) does not hold");
            assertFalse(message.contains(bad.substring(0, 20)), message);
        }
    }

    private Credentials load(KeyConfig key, long chainId) {
        return new KeyLoader(Map.of()).load(key, chainId);
    }

    private void failure(KeyConfig key, long chainId, String expected) {
        KeyException e = assertThrows(KeyException.class, () -> load(key, chainId));
        texts.add(e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private String failure(KeyLoader loader, KeyConfig key, String expected) {
        KeyException e = assertThrows(KeyException.class, () -> loader.load(key, KeyLoader.DEV_CHAIN_ID));
        texts.add(e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        return e.getMessage();
    }
}

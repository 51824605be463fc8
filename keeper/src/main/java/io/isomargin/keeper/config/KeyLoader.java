package io.isomargin.keeper.config;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.WalletUtils;
import org.web3j.crypto.exception.CipherException;
import org.web3j.utils.Numeric;

/**
 * Loads the keeper's signing key as {@link KeyConfig} says: decrypts a keystore JSON file with the password in the
 * password file (one trailing newline of the file is ignored), or, on a local dev chain ({@value #DEV_CHAIN_ID}) only,
 * reads a raw hex key from the named environment variable.
 *
 * <p>No message, log line or exception text ever holds the key, the password or the contents of either file:
 * parser errors are not passed on, because a wrong path may point at a file holding a raw key.
 */
public final class KeyLoader {
    /** The chain id of Anvil and Hardhat: the only chain on which a raw key from the environment is accepted. */
    public static final long DEV_CHAIN_ID = 31_337;
    private static final Logger log = LoggerFactory.getLogger(KeyLoader.class);
    private static final Pattern RAW_KEY = Pattern.compile("(0[xX])?[0-9a-fA-F]{64}");
    /** The order of secp256k1: a private key is in 1..N-1. */
    private static final BigInteger CURVE_ORDER =
            new BigInteger("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", 16);

    private final Map<String, String> env;

    /** @param env where {@code key.private-key-env} is looked up (the process environment in production) */
    public KeyLoader(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /**
     * The key for a deployment on chain {@code chainId}.
     *
     * @throws KeyException when a file is missing or unreadable, the keystore is malformed, the password is wrong,
     *                      the raw key is malformed or missing, or a raw key is configured on another chain than
     *                      {@value #DEV_CHAIN_ID}
     */
    public Credentials load(KeyConfig key, long chainId) {
        Credentials c = key.keystore().isPresent()
                ? fromKeystore(key.keystore().get(), key.passwordFile().orElseThrow())
                : fromEnvironment(key.privateKeyEnv().orElseThrow(), chainId);
        log.info("signing key loaded: address {}", c.getAddress());
        return c;
    }

    private static Credentials fromKeystore(Path keystore, Path passwordFile) {
        String password = password(passwordFile);
        readable(keystore, "key.keystore", "keystore");
        try {
            return WalletUtils.loadCredentials(password, keystore.toFile());
        } catch (CipherException e) {
            if (String.valueOf(e.getMessage()).contains("Invalid password")) {
                throw new KeyException("wrong password for keystore " + keystore + " (key.password-file "
                        + passwordFile + ")");
            }
            throw new KeyException("keystore " + keystore + " cannot be decrypted: not a supported keystore "
                    + "(scrypt or pbkdf2, version 3)");
        } catch (IOException | RuntimeException e) {
            // never pass the parser's message on: it quotes the file's contents
            throw new KeyException("keystore " + keystore + " (key.keystore) is not a keystore JSON file (expected "
                    + "the JSON a wallet or `cast wallet new` writes: version 3 with crypto and address)");
        }
    }

    private static String password(Path passwordFile) {
        readable(passwordFile, "key.password-file", "password file");
        String text;
        try {
            text = Files.readString(passwordFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KeyException("password file " + passwordFile + " (key.password-file) cannot be read: "
                    + e.getClass().getSimpleName());
        }
        if (text.endsWith("\r\n")) return text.substring(0, text.length() - 2);
        if (text.endsWith("\n")) return text.substring(0, text.length() - 1);
        return text;
    }

    private static void readable(Path file, String configKey, String what) {
        if (!Files.exists(file)) {
            throw new KeyException(what + " " + file + " (" + configKey + ") does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new KeyException(what + " " + file + " (" + configKey + ") is not a regular file");
        }
        try (var in = Files.newInputStream(file)) {
            in.read();
        } catch (NoSuchFileException e) {
            throw new KeyException(what + " " + file + " (" + configKey + ") does not exist");
        } catch (AccessDeniedException e) {
            throw new KeyException(what + " " + file + " (" + configKey + ") is not readable by this user");
        } catch (IOException e) {
            throw new KeyException(what + " " + file + " (" + configKey + ") cannot be read: "
                    + e.getClass().getSimpleName());
        }
    }

    private Credentials fromEnvironment(String name, long chainId) {
        if (chainId != DEV_CHAIN_ID) {
            throw new KeyException("key.private-key-env is allowed only on a local dev chain (chain id " + DEV_CHAIN_ID
                    + "), and this deployment is on chain " + chainId + ": a raw key in the environment leaks too "
                    + "easily; use key.keystore and key.password-file");
        }
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) {
            throw new KeyException("environment variable " + name + " (key.private-key-env) is not set");
        }
        raw = raw.strip();
        if (!RAW_KEY.matcher(raw).matches()) {
            throw new KeyException("environment variable " + name + " (key.private-key-env) does not hold a private "
                    + "key: expected 64 hex digits, optionally 0x-prefixed");
        }
        BigInteger k = Numeric.toBigInt(raw);
        if (k.signum() == 0 || k.compareTo(CURVE_ORDER) >= 0) {
            throw new KeyException("environment variable " + name + " (key.private-key-env) does not hold a valid "
                    + "secp256k1 private key (it must be between 1 and the curve order)");
        }
        return Credentials.create(ECKeyPair.create(k));
    }
}

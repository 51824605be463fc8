package io.isomargin.keeper.config;

import io.isomargin.abi.config.ConfigException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where the keeper's signing key comes from: a keystore JSON file and the file holding its password (the way for any
 * real chain), or the NAME of an environment variable holding a raw private key (a local dev chain only, chain id
 * 31337: checked by {@link KeyLoader}, which knows the chain). Exactly one of the two; holds paths and a variable
 * name, never key material.
 *
 * @param keystore      {@code key.keystore}: a web3j/geth keystore JSON file
 * @param passwordFile  {@code key.password-file}: the keystore's password (one trailing newline is ignored)
 * @param privateKeyEnv {@code key.private-key-env}: the name of the environment variable holding a raw hex key
 */
public record KeyConfig(Optional<Path> keystore, Optional<Path> passwordFile, Optional<String> privateKeyEnv) {
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern LOOKS_LIKE_KEY = Pattern.compile("(0[xX])?[0-9a-fA-F]{64}");

    /** @throws ConfigException naming the key when neither or both ways are configured, or half the keystore way */
    public KeyConfig {
        Objects.requireNonNull(keystore, "keystore");
        Objects.requireNonNull(passwordFile, "passwordFile");
        Objects.requireNonNull(privateKeyEnv, "privateKeyEnv");
        privateKeyEnv.ifPresent(KeyConfig::checkEnvName);
        if (keystore.isPresent() && privateKeyEnv.isPresent()) {
            throw new ConfigException("key.private-key-env", privateKeyEnv.get(), "not together with key.keystore: "
                    + "configure one key (a keystore and password file, or on a local dev chain an env var)");
        }
        if (keystore.isEmpty() && passwordFile.isPresent()) {
            throw new ConfigException("key.password-file", passwordFile.get().toString(), "only with key.keystore "
                    + "(key.private-key-env takes no password)");
        }
        if (keystore.isEmpty() && privateKeyEnv.isEmpty()) {
            throw new ConfigException("key.keystore", null, "required: the keystore JSON file of the keeper's key, with "
                    + "key.password-file (or, on a local dev chain with id 31337 only, key.private-key-env)");
        }
        if (keystore.isPresent() && passwordFile.isEmpty()) {
            throw new ConfigException("key.password-file", null, "required with key.keystore: the file holding the "
                    + "keystore's password");
        }
    }

    /** A keystore and its password file. */
    public static KeyConfig keystore(Path keystore, Path passwordFile) {
        return new KeyConfig(Optional.of(keystore), Optional.of(passwordFile), Optional.empty());
    }

    /** A raw key in the environment variable {@code name} (dev chain only). */
    public static KeyConfig privateKeyEnv(String name) {
        return new KeyConfig(Optional.empty(), Optional.empty(), Optional.of(name));
    }

    private static void checkEnvName(String name) {
        // the value is never echoed when it is not a plain variable name: it may be the key itself
        if (LOOKS_LIKE_KEY.matcher(name).matches()) {
            throw new ConfigException("key.private-key-env", "(hidden)", "looks like a private key itself: give the "
                    + "NAME of an environment variable that holds the key, e.g. KEEPER_DEV_KEY");
        }
        if (!ENV_NAME.matcher(name).matches()) {
            throw new ConfigException("key.private-key-env", "(hidden)", "the NAME of an environment variable "
                    + "(letters, digits and _, not starting with a digit) that holds the key, e.g. KEEPER_DEV_KEY");
        }
    }
}

package io.isomargin.keeper.config;

/**
 * The signing key cannot be loaded: names the file or variable and why, never the key or the password. The keeper
 * exits with code 2 on it.
 */
public final class KeyException extends RuntimeException {
    public KeyException(String message) {
        super(message);
    }
}

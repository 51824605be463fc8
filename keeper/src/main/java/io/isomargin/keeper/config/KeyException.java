package io.isomargin.keeper.config;

import io.isomargin.abi.cli.ExitException;
import io.isomargin.abi.cli.ServiceCli;

/**
 * The signing key cannot be loaded: names the file or variable and why, never the key or the password. The keeper
 * exits with code 2 on it.
 */
public final class KeyException extends ExitException {
    public KeyException(String message) {
        super(ServiceCli.CONFIG, message);
    }
}

package io.isomargin.indexer.app;

import io.isomargin.abi.cli.ExitException;

/**
 * Why a command could not begin its work although the configuration parsed: the database is unreachable or mirrors
 * another deployment, the node is unreachable or serves another chain, ... The command exits with
 * {@link #exitCode()} (see {@link ExitCode}) after printing the message as one line.
 */
final class StartupException extends ExitException {
    /** A failure that exits with {@link ExitCode#CONFIG}. */
    StartupException(String message, Throwable cause) {
        this(ExitCode.CONFIG, message, cause);
    }

    StartupException(int exitCode, String message, Throwable cause) {
        super(exitCode, message, cause);
    }
}

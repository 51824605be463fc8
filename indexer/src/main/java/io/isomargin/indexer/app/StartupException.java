package io.isomargin.indexer.app;

/**
 * Why a command could not begin its work although the configuration parsed: the database is unreachable or mirrors
 * another deployment, the node is unreachable or serves another chain, ... The command exits with
 * {@link #exitCode()} (see {@link ExitCode}) after printing the message as one line.
 */
public final class StartupException extends RuntimeException {
    private final int exitCode;

    /** A failure that exits with {@link ExitCode#CONFIG}. */
    public StartupException(String message, Throwable cause) {
        this(ExitCode.CONFIG, message, cause);
    }

    public StartupException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** The process's exit code. */
    public int exitCode() {
        return exitCode;
    }
}

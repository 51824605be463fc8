package io.isomargin.abi.cli;

/**
 * A failure the operator can act on: {@link ServiceCli} prints its message as one line (no stack trace) and the process
 * exits with {@link #exitCode()}. The message says what is wrong and names no secret.
 */
public class ExitException extends RuntimeException {
    private final int exitCode;

    public ExitException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        if (exitCode <= ServiceCli.OK) throw new IllegalArgumentException("a failure's exit code is above 0: " + exitCode);
        this.exitCode = exitCode;
    }

    public ExitException(int exitCode, String message) {
        this(exitCode, message, null);
    }

    /** The process's exit code. */
    public int exitCode() {
        return exitCode;
    }
}

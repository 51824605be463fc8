package io.isomargin.indexer;

/**
 * Why the indexer could not begin its work although the configuration parsed: the database is unreachable or
 * mirrors another deployment, the node is unreachable or serves another chain. The command exits with code 2.
 */
public final class StartupException extends RuntimeException {
    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.isomargin.abi.follower;

import java.util.List;

/** Every endpoint failed (or was skipped because its circuit was open) for one call. */
public final class RpcUnavailableException extends RpcException {
    private final List<String> attempts;

    /**
     * @param attempts one line per endpoint: its URL and why it failed or was skipped
     */
    public RpcUnavailableException(String method, List<String> attempts, Throwable lastFailure) {
        super(RpcErrorKind.TRANSIENT, method, "all endpoints", null,
                "no endpoint answered; tried " + String.join("; ", attempts), lastFailure);
        this.attempts = List.copyOf(attempts);
    }

    /** Per endpoint: its URL and why it failed or was skipped. */
    public List<String> attempts() {
        return attempts;
    }
}

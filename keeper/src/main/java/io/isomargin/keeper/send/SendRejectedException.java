package io.isomargin.keeper.send;

/** The node refused a transaction for a reason other than its nonce (insufficient funds, intrinsic gas, ...). */
public final class SendRejectedException extends RuntimeException {
    public SendRejectedException(String message) {
        super(message);
    }
}

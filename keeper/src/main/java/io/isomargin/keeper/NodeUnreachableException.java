package io.isomargin.keeper;

import io.isomargin.abi.cli.ExitException;
import io.isomargin.abi.cli.ServiceCli;

/**
 * No configured RPC endpoint answered at start, after the RPC client's retries: names the endpoints (credentials
 * masked) and the last reason. The keeper exits with code 3 on it, apart from 2 (bad configuration), so a supervisor
 * can tell "restart me later" from "fix my config".
 */
public final class NodeUnreachableException extends ExitException {
    public NodeUnreachableException(String message) {
        super(ServiceCli.NODE_UNREACHABLE, message);
    }
}

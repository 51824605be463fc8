package io.isomargin.indexer.app;

import io.isomargin.abi.cli.ServiceCli;

/**
 * The indexer's exit codes, one meaning each, so a supervisor can tell "restart me" from "fix me" (listed by each
 * command's {@code --help} and in docs/running-on-a-real-chain.md). 0 to 3 are the ones every service shares
 * ({@link ServiceCli}): 3 means what it means for the keeper.
 */
final class ExitCode {
    /** {@code run} stopped when asked, {@code verify} found no mismatch, {@code rebuild} rolled the mirror back. */
    static final int OK = ServiceCli.OK;
    /** {@code run} failed while running; {@code verify} found mismatches. */
    static final int FAILED = ServiceCli.FAILED;
    /** A bad setting, deployment file or argument, an unreachable database ({@code run}, {@code rebuild}), the API
     * port taken. */
    static final int CONFIG = ServiceCli.CONFIG;
    /** No RPC endpoint answered at start after the RPC client's retries: worth a restart. */
    static final int NODE_UNREACHABLE = ServiceCli.NODE_UNREACHABLE;
    /** The node, the deployment file and the database do not describe one deployment (another chain id, no code at
     * the engine or an oracle, the deployment block past the head, a database of another chain or engine, a block the
     * mirror keeps that is not on the node's chain); nothing was written. */
    static final int CHAIN_MISMATCH = 4;
    /** {@code verify} could not check: the node or the database did not answer or failed, or nothing is mirrored. */
    static final int NOT_CHECKED = 5;
    /** {@code run} stopped on a reorg deeper than {@code follower.reorg-window}: {@code indexer rebuild} is the way
     * back. Restarting alone does not help. */
    static final int REBUILD_NEEDED = 6;

    private ExitCode() {}
}

package io.isomargin.indexer.app;

import io.isomargin.abi.config.DeploymentFile;
import io.isomargin.abi.config.PostgresUrl;
import io.isomargin.abi.config.Redact;
import io.isomargin.abi.follower.BlockRef;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcException;
import io.isomargin.abi.follower.RpcUnavailableException;
import io.isomargin.indexer.store.IndexerMeta;
import java.math.BigInteger;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.response.EthBlock;

/**
 * What the indexer checks before it writes anything: that the node answers ({@link ExitCode#NODE_UNREACHABLE}
 * otherwise), serves the deployment file's chain, has reached the deployment block and holds code at the engine, at
 * the margin guard (when the file names one) and at every listed market's oracle at its head, and that a database already holding a mirror mirrors that deployment on
 * that chain (read without writing, before any migration); anything else is {@link ExitCode#CHAIN_MISMATCH}, one
 * sentence long. Pointed at the wrong chain or address, the indexer so records nothing a later, right start would then
 * have to refuse.
 */
final class StartChecks {
    /**
     * What the node said.
     *
     * @param chainId     its chain id (the deployment file's)
     * @param head        its latest block
     * @param genesisHash the hash of its block 0
     */
    record Node(long chainId, long head, String genesisHash) {}

    private final RpcClient rpc;
    private final List<String> urls;
    private final DeploymentFile deployment;
    private final Path deploymentPath;

    /**
     * @param rpc            the configured endpoints
     * @param urls           their URLs (shown masked)
     * @param deployment     the deployment file's contents
     * @param deploymentPath where it was read from (named in messages)
     */
    StartChecks(RpcClient rpc, List<String> urls, DeploymentFile deployment, Path deploymentPath) {
        this.rpc = rpc;
        this.urls = List.copyOf(urls);
        this.deployment = deployment;
        this.deploymentPath = deploymentPath;
    }

    /**
     * Checks the node against the deployment file.
     *
     * @throws StartupException {@link ExitCode#NODE_UNREACHABLE} when no endpoint answers, {@link ExitCode#CONFIG} when
     *                          one refuses a plain call, {@link ExitCode#CHAIN_MISMATCH} when it is not the deployment's
     *                          chain or lacks the deployment
     */
    Node node() {
        long chainId = ask(Web3j::ethChainId).getChainId().longValueExact();
        if (chainId != deployment.chainId()) {
            throw mismatch("the node at rpc.http-urls " + shownUrls() + " serves chain " + chainId
                    + ", but the deployment file " + deploymentPath + " is for chain " + deployment.chainId());
        }
        long head = ask(Web3j::ethBlockNumber).getBlockNumber().longValueExact();
        if (deployment.deployBlock() > head) {
            throw mismatch("the deployment file " + deploymentPath + " has the engine deployed at block #"
                    + deployment.deployBlock() + ", past the node's head #" + head + " on chain " + chainId
                    + " (a node still syncing, or another chain of the same id)");
        }
        requireCode("the engine", deployment.engine(), head);
        if (deployment.hasGuard()) requireCode("the margin guard", deployment.guard(), head);
        for (DeploymentFile.Market m : deployment.markets()) {
            requireCode("market " + m.id() + (m.name().isEmpty() ? "" : " (" + m.name() + ")") + "'s oracle",
                    m.oracle(), head);
        }
        EthBlock.Block genesis = ask(w -> w.ethGetBlockByNumber(block(0), false)).getBlock();
        return new Node(chainId, head, genesis == null ? null : genesis.getHash());
    }

    /** The node's header of block {@code number}. */
    BlockRef header(long number) {
        EthBlock.Block b = ask(w -> w.ethGetBlockByNumber(block(number), false)).getBlock();
        if (b == null) {
            throw mismatch("the node at rpc.http-urls " + shownUrls() + " has no block #" + number);
        }
        return BlockRef.of(b);
    }

    /**
     * The deployment the database records, read without writing anything: empty for a database the indexer never
     * started on (no schema or no row yet).
     */
    static Optional<IndexerMeta> storedMeta(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT to_regclass('indexer_meta') IS NOT NULL")) {
                if (!r.next() || !r.getBoolean(1)) return Optional.empty();
            }
            try (ResultSet r = s.executeQuery("SELECT * FROM indexer_meta")) {
                if (!r.next()) return Optional.empty();
                ResultSetMetaData columns = r.getMetaData();
                String genesis = null;
                String guard = null; // columns a database from before their migration lacks
                for (int i = 1; i <= columns.getColumnCount(); i++) {
                    if (columns.getColumnName(i).equals("genesis_hash")) genesis = r.getString(i);
                    if (columns.getColumnName(i).equals("guard")) guard = r.getString(i);
                }
                return Optional.of(new IndexerMeta(r.getLong("chain_id"), r.getString("engine"),
                        r.getLong("deploy_block"), genesis, guard));
            }
        }
    }

    /**
     * Refuses a database that already mirrors another chain or deployment than {@code expected}.
     *
     * @throws StartupException {@link ExitCode#CHAIN_MISMATCH}
     */
    static void requireSameDeployment(Optional<IndexerMeta> stored, IndexerMeta expected, PostgresUrl db) {
        stored.flatMap(s -> s.mismatch(expected)).ifPresent(why -> {
            throw new StartupException(ExitCode.CHAIN_MISMATCH, why.replaceFirst("^this database",
                    "the database " + db), null);
        });
    }

    private void requireCode(String what, String address, long head) {
        String code = ask(w -> w.ethGetCode(address, block(head))).getCode();
        if (code == null || code.equals("0x") || code.isEmpty()) {
            throw mismatch("no contract at " + what + " " + address + " on chain " + deployment.chainId()
                    + " at the node's head #" + head + " (deployment file " + deploymentPath
                    + "): the file is for another deployment or the node for another chain");
        }
    }

    private StartupException mismatch(String what) {
        return new StartupException(ExitCode.CHAIN_MISMATCH, what, null);
    }

    /** One call through the client's retries and failover; its failures as start-up failures. */
    private <T extends Response<?>> T ask(Function<Web3j, Request<?, T>> request) {
        try {
            return rpc.call(request);
        } catch (RpcUnavailableException e) {
            throw new StartupException(ExitCode.NODE_UNREACHABLE, "node unreachable at start: no answer to "
                    + e.method() + " from rpc.http-urls " + shownUrls() + " (" + reason(e) + ")", null);
        } catch (RpcException e) {
            throw new StartupException(ExitCode.CONFIG, "rpc.http-urls " + shownUrls() + " must be an Ethereum "
                    + "JSON-RPC node: " + e.method() + " failed: " + oneLine(e.getMessage()), null);
        }
    }

    /** The deepest cause's message, masked, on one line. */
    String reason(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String reason = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return oneLine(reason);
    }

    private String oneLine(String s) {
        return Redact.scrub(s == null ? "" : s, urls).replace('\n', ' ').replace('\r', ' ');
    }

    String shownUrls() {
        return String.join(", ", Redact.urls(urls));
    }

    private static DefaultBlockParameter block(long number) {
        return DefaultBlockParameter.valueOf(BigInteger.valueOf(number));
    }
}

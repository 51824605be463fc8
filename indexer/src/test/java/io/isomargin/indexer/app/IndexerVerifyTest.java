package io.isomargin.indexer.app;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.FaultProxy.Fault;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.testing.IndexerCli;
import io.isomargin.indexer.testing.IndexerHarness;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code indexer verify} through a fault-injecting proxy: transient RPC failures (HTTP 429 and 503, a dropped
 * connection, a truncated answer, an {@code eth_call} that does not answer within {@code verify.call-timeout}) are
 * retried and the check still ends clean (exit 0); a node that is gone, or stops answering mid-check, is "could not
 * check" (exit 5) on one line, with no stack trace printed or logged.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IndexerVerifyTest {
    @TempDir
    Path dir;

    private long vaults;

    @BeforeAll
    void mirror(AnvilChain chain, Deployment d, PostgresDatabase db) throws Exception {
        d.fundAndSupply(chain.credentials(1), units(10_000, 6));
        d.openVault(chain.credentials(2), d.wethMarket(), units(5, 18), units(1_000, 6));
        d.openVault(chain.credentials(3), d.wethMarket(), units(2, 18), units(500, 6));
        try (IndexerHarness indexer = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            // mirrored, then stopped
        }
        vaults = d.engine().vaultCount().send().longValueExact();
    }

    @Test
    void transientRpcFailuresAreRetriedAndTheCheckEndsClean(Deployment d, PostgresDatabase db) throws Exception {
        IndexerCli cli = new IndexerCli(dir);
        try (FaultProxy proxy = FaultProxy.start(d.chain().rpcUrl())) {
            Path config = cli.config(proxy.url(), d.writeDeploymentFile(dir.resolve("deployment.json")), db,
                    "verify:\n  call-timeout: 1s\n");
            proxy.inject("eth_chainId", Fault.httpStatus(429), 1);
            proxy.inject("eth_getCode", Fault.dropConnection(), 1);
            proxy.inject("eth_call", Fault.httpStatus(503), 1);
            proxy.inject("eth_call", Fault.timeout(), 1);
            proxy.inject("eth_call", Fault.truncatedBody(), 1);

            List<ILoggingEvent> logged = capture(() -> cli.execute("verify", "--config", config.toString()),
                    exit -> assertEquals(0, exit, cli.err()));
            assertTrue(cli.out().contains("verify: " + vaults + " vaults, 0 mismatches"), cli.out());
            assertEquals("", cli.err());
            assertTrue(proxy.requestCount("eth_chainId") >= 2, "eth_chainId retried");
            assertFalse(logged.stream().anyMatch(e -> e.getThrowableProxy() != null), "no stack trace logged");
        }
    }

    @Test
    void aNodeThatIsGoneOrStopsAnsweringMidCheckExitsFiveWithOneLineAndNoStackTrace(Deployment d, PostgresDatabase db)
            throws Exception {
        IndexerCli cli = new IndexerCli(dir);
        FaultProxy proxy = FaultProxy.start(d.chain().rpcUrl());
        Path config = cli.config(proxy.url(), d.writeDeploymentFile(dir.resolve("deployment.json")), db,
                "verify:\n  call-timeout: 500ms\n");
        try {
            // every eth_call hangs past verify.call-timeout: the chain checks pass, the comparison cannot be made
            proxy.inject("eth_call", Fault.timeout(), -1);
            List<ILoggingEvent> logged = capture(() -> cli.execute("verify", "--config", config.toString()),
                    exit -> assertEquals(5, exit, cli.err()));
            assertOneLineWithoutStackTrace(cli, logged, "indexer: could not check: eth_call vaultCount at block ");
        } finally {
            proxy.close();
        }
        // the node gone: nothing answers at the proxy's address any more
        List<ILoggingEvent> logged = capture(() -> cli.execute("verify", "--config", config.toString()),
                exit -> assertEquals(5, exit, cli.err()));
        assertOneLineWithoutStackTrace(cli, logged, "indexer: could not check: node unreachable: no answer to "
                + "eth_chainId from rpc.http-urls " + proxy.url() + " (");
    }

    private static void assertOneLineWithoutStackTrace(IndexerCli cli, List<ILoggingEvent> logged, String start) {
        String err = cli.err();
        assertTrue(err.startsWith(start), err);
        assertEquals(1, err.lines().count(), err);
        assertFalse(cli.out().contains("Exception") || err.contains("\tat "), cli.out() + err);
        assertFalse(logged.stream().anyMatch(e -> e.getThrowableProxy() != null && e.getLevel().isGreaterOrEqual(
                ch.qos.logback.classic.Level.INFO)), "no stack trace logged at INFO or above");
    }

    /** Runs {@code command}, hands its result to {@code check} and returns what was logged meanwhile. */
    private static List<ILoggingEvent> capture(Supplier<Integer> command, java.util.function.IntConsumer check) {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        root.addAppender(appender);
        int exit;
        try {
            exit = command.get();
        } finally {
            root.detachAppender(appender);
        }
        check.accept(exit);
        return List.copyOf(appender.list);
    }
}

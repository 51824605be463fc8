package io.isomargin.abi.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.BuildInfo;
import io.isomargin.abi.config.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The shared bootstrap: the build's version, usage without a subcommand, and each kind of failure's exit code. */
class ServiceCliTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Command(name = "svc", mixinStandardHelpOptions = true, description = "A service.")
    static final class Top implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        PrintStream out;

        @Override
        public Integer call() {
            return ServiceCli.usage(spec, out);
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Runs.")
    static final class Run implements Callable<Integer> {
        @Option(names = "--fail", description = "config, exit, other")
        String fail = "";

        @Override
        public Integer call() {
            return switch (fail) {
                case "config" -> throw new ConfigException("rpc.http-urls", null, "at least one URL");
                case "exit" -> throw new ExitException(5, "could not check: no answer", new RuntimeException("x"));
                case "other" -> throw new IllegalStateException("boom");
                default -> ServiceCli.OK;
            };
        }
    }

    private int execute(String... args) {
        Top top = new Top();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        top.out = o;
        return ServiceCli.commandLine("svc", o, new PrintStream(err, true, StandardCharsets.UTF_8), top, new Run())
                .execute(args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void versionNamesTheServiceTheVersionAndTheCommit() {
        assertEquals(ServiceCli.OK, execute("--version"));
        assertEquals(BuildInfo.describe("svc"), out().strip());
    }

    @Test
    void noSubcommandPrintsTheUsageAndIsAUsageError() {
        assertEquals(ServiceCli.CONFIG, execute());
        assertTrue(out().contains("Usage: svc") && out().contains("Commands:") && out().contains("  run "), out());
    }

    @Test
    void subcommandHelpGoesToTheGivenStream() {
        assertEquals(ServiceCli.OK, execute("run", "--help"));
        assertTrue(out().contains("Usage: svc run"), out());
    }

    @Test
    void aConfigurationErrorIsOneLineAndExits2() {
        assertEquals(ServiceCli.CONFIG, execute("run", "--fail", "config"));
        assertEquals("svc: config key 'rpc.http-urls' is missing: at least one URL", err().strip());
    }

    @Test
    void anExitExceptionExitsWithItsCodeOnOneLine() {
        assertEquals(5, execute("run", "--fail", "exit"));
        assertEquals("svc: could not check: no answer", err().strip());
    }

    @Test
    void anythingElseIsAFailureNamedOnOneLine() {
        assertEquals(ServiceCli.FAILED, execute("run", "--fail", "other"));
        assertEquals("svc: java.lang.IllegalStateException: boom", err().strip());
    }

    @Test
    void aFailureHasAnExitCodeAbove0() {
        assertThrows(IllegalArgumentException.class, () -> new ExitException(0, "fine"));
    }
}

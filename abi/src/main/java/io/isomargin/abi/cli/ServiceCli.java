package io.isomargin.abi.cli;

import io.isomargin.abi.BuildInfo;
import io.isomargin.abi.config.ConfigException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The command-line bootstrap the services share: a picocli command line whose {@code --version} names the build
 * ({@link BuildInfo#describe}), whose output goes to the given streams, and whose failures end as one line on the
 * error stream and an exit code a supervisor can act on.
 *
 * <p>Exit codes: {@value #OK} success, {@value #FAILED} failed while running (the unexpected failure is printed as one
 * line and logged with its stack trace), {@value #CONFIG} a bad configuration, file or argument (a
 * {@link ConfigException}, or an {@link ExitException} that says so), {@value #NODE_UNREACHABLE} no RPC endpoint
 * answered at start (worth a restart). A service adds its own codes from 4 on, each carried by an
 * {@link ExitException}.
 */
public final class ServiceCli {
    /** Done: a run stopped when asked, a check found nothing wrong. */
    public static final int OK = 0;
    /** Failed while running (or a check found something wrong). */
    public static final int FAILED = 1;
    /** A bad setting, file or argument: fix the configuration, a restart alone does not help. */
    public static final int CONFIG = 2;
    /** No RPC endpoint answered at start after the RPC client's retries: worth a restart. */
    public static final int NODE_UNREACHABLE = 3;

    private ServiceCli() {}

    /**
     * The command line of {@code command} (annotated {@code @Command(mixinStandardHelpOptions = true)}) with
     * {@code subcommands} (each annotated with its name) in their order; unexpected failures are logged to
     * {@code command}'s class's logger.
     *
     * @param name the service's name: {@code --version} prints {@code <name> <version> (commit <commit>)} and every
     *             error line starts with {@code <name>: }
     */
    public static CommandLine commandLine(String name, PrintStream out, PrintStream err, Object command,
            Object... subcommands) {
        Objects.requireNonNull(name, "name");
        Logger log = LoggerFactory.getLogger(command.getClass());
        CommandLine cl = new CommandLine(command);
        for (Object sub : subcommands) cl.addSubcommand(sub);
        cl.getCommandSpec().versionProvider(() -> new String[] {BuildInfo.describe(name)});
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof ConfigException) {
                err.println(name + ": " + ex.getMessage());
                return CONFIG;
            }
            if (ex instanceof ExitException e) {
                err.println(name + ": " + e.getMessage());
                log.debug("{}: exit {}", name, e.exitCode(), e);
                return e.exitCode();
            }
            err.println(name + ": " + ex);
            log.error("{} failed", name, ex);
            return FAILED;
        });
        return cl;
    }

    /**
     * What a service command without a subcommand does: prints its usage, subcommands included, and exits
     * {@value #CONFIG}.
     *
     * @param spec the command's spec, as picocli injects it into a {@code @Spec} field
     */
    public static int usage(CommandSpec spec, PrintStream out) {
        spec.commandLine().usage(out);
        return CONFIG;
    }
}

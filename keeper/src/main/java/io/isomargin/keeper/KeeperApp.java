package io.isomargin.keeper;

import io.isomargin.abi.config.DeploymentFile;
import io.isomargin.keeper.config.KeeperConfig;
import io.isomargin.keeper.ops.KeeperMetrics;
import java.io.PrintStream;
import org.web3j.crypto.Credentials;

/**
 * The seam between the command line and the running keeper: {@code keeper run} validates the configuration, reads
 * the deployment file and loads the key, then hands them to a {@code KeeperApp}, which runs until stopped and returns
 * the process exit code.
 */
@FunctionalInterface
public interface KeeperApp {
    /**
     * Runs the keeper until it is interrupted or fails.
     *
     * @param cfg        the validated configuration ({@code dryRun} already reflects {@code --dry-run})
     * @param deployment the deployment file {@code cfg.deployment()} names, read and validated; its markets
     *                   narrowed by {@code cfg.selectMarkets(deployment)}
     * @param key        the signing key, for the chain id {@code deployment.chainId()}: the app must check that the
     *                   node serves that chain before it signs anything
     * @param metrics    the metrics to update and serve on {@code /metrics}
     * @param out        where to print the lines an operator reads
     * @return the exit code: 0 after a clean stop, 1 on a failure
     * @throws io.isomargin.abi.config.ConfigException when a setting turns out unusable (exit 2)
     */
    int run(KeeperConfig cfg, DeploymentFile deployment, Credentials key, KeeperMetrics metrics, PrintStream out)
            throws Exception;
}

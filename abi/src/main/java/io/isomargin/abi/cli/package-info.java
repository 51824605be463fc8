/**
 * The services' shared command-line bootstrap: {@link io.isomargin.abi.cli.ServiceCli} builds a picocli command line
 * with the build's {@code --version}, the shared exit codes (0 done, 1 failed while running, 2 bad configuration,
 * 3 no node at start) and one-line error messages; {@link io.isomargin.abi.cli.ExitException} is a failure that
 * carries its exit code.
 */
package io.isomargin.abi.cli;

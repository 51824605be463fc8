/**
 * The keeper's configuration ({@link io.isomargin.keeper.config.KeeperConfig}: YAML plus
 * {@code ISOMARGIN_KEEPER_*} environment overrides, validated at start-up) and its signing key
 * ({@link io.isomargin.keeper.config.KeyLoader}: keystore and password file, or a raw key from the environment on a
 * local dev chain only), never shown in any message or log.
 */
package io.isomargin.keeper.config;

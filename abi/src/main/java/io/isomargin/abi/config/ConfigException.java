package io.isomargin.abi.config;

/**
 * A configuration value that cannot be used: names the key, the value as given and what is allowed
 * (keep secrets out of config values: services take key material from files).
 * Services exit with code 2 on it.
 */
public final class ConfigException extends RuntimeException {
    private final String key;

    public ConfigException(String key, String value, String allowed) {
        super("config key '" + key + "'" + (value == null ? " is missing" : ": value '" + value + "' is not allowed")
                + ": " + allowed);
        this.key = key;
    }

    /** The offending key, dotted as in the YAML file (e.g. {@code rpc.http-urls}). */
    public String key() {
        return key;
    }
}

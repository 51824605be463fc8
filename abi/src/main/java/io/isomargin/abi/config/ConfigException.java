package io.isomargin.abi.config;

/**
 * A configuration value that cannot be used: names the key, the value as given and what is allowed (a URL's
 * credentials masked by {@link Redact}; keep other secrets out of config values: services take key material from
 * files), or a key or environment variable the service does not know.
 * Services exit with code 2 on it.
 */
public final class ConfigException extends RuntimeException {
    private final String key;

    public ConfigException(String key, String value, String allowed) {
        super("config key '" + key + "'" + (value == null ? " is missing" : ": value '" + value + "' is not allowed")
                + ": " + allowed);
        this.key = key;
    }

    /** A key (or environment variable) that the service does not know: {@code message} says which and what is near. */
    static ConfigException unknown(String key, String message) {
        return new ConfigException(key, message);
    }

    private ConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    /**
     * The offending key, dotted as in the YAML file (e.g. {@code rpc.http-urls}), or the environment variable that
     * overrides no key.
     */
    public String key() {
        return key;
    }
}

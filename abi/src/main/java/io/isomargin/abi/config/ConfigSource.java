package io.isomargin.abi.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One service's configuration: a YAML file whose every key can be overridden by an environment variable
 * ({@code <PREFIX>} + the key upper-cased with dots and dashes as underscores, e.g. {@code rpc.http-urls} ->
 * {@code ISOMARGIN_INDEXER_RPC_HTTP_URLS}; lists as comma-separated values). Typed getters validate as they read and
 * throw {@link ConfigException} naming the key; {@link #rejectUnknownKeys()} catches typos in the file.
 */
public final class ConfigSource {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private final Map<String, JsonNode> fileValues;
    private final Map<String, String> env;
    private final String envPrefix;
    private final Set<String> read = new HashSet<>();

    private ConfigSource(Map<String, JsonNode> fileValues, Map<String, String> env, String envPrefix) {
        this.fileValues = fileValues;
        this.env = env;
        this.envPrefix = envPrefix;
    }

    /** Reads {@code file} (may be null: environment only) with overrides from {@code env}. */
    public static ConfigSource load(Path file, Map<String, String> env, String envPrefix) {
        Map<String, JsonNode> values = new LinkedHashMap<>();
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("config file", file.toString(), "no such file");
            }
            try {
                JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
                if (root != null && !root.isNull()) {
                    if (!root.isObject()) throw new ConfigException("config file", file.toString(), "must be a YAML map");
                    flatten("", root, values);
                }
            } catch (IOException e) {
                throw new ConfigException("config file", file.toString(), "not valid YAML: " + e.getMessage());
            }
        }
        return new ConfigSource(values, Map.copyOf(env), envPrefix);
    }

    private static void flatten(String prefix, JsonNode node, Map<String, JsonNode> out) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (e.getValue().isObject()) flatten(key, e.getValue(), out);
            else out.put(key, e.getValue());
        }
    }

    /** The environment variable that overrides {@code key}. */
    public String envName(String key) {
        return envPrefix + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The raw text of {@code key}: environment first, then file; empty when neither has it. */
    private Optional<String> raw(String key) {
        read.add(key);
        String fromEnv = env.get(envName(key));
        if (fromEnv != null) return Optional.of(fromEnv.trim());
        JsonNode n = fileValues.get(key);
        if (n == null || n.isNull()) return Optional.empty();
        if (n.isArray()) {
            List<String> parts = new ArrayList<>();
            n.forEach(x -> parts.add(x.asText()));
            return Optional.of(String.join(",", parts));
        }
        return Optional.of(n.asText().trim());
    }

    public Optional<String> optionalString(String key) {
        return raw(key).filter(s -> !s.isEmpty());
    }

    public String string(String key, String defaultValue) {
        return optionalString(key).orElse(defaultValue);
    }

    public String requiredString(String key, String what) {
        return optionalString(key).orElseThrow(() -> new ConfigException(key, null, "required: " + what
                + " (set it in the file or " + envName(key) + ")"));
    }

    public long longValue(String key, long defaultValue, long min, long max) {
        Optional<String> v = raw(key);
        if (v.isEmpty() || v.get().isEmpty()) return defaultValue;
        long parsed;
        try {
            parsed = Long.parseLong(v.get().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new ConfigException(key, v.get(), "an integer from " + min + " to " + max);
        }
        if (parsed < min || parsed > max) throw new ConfigException(key, v.get(), "an integer from " + min + " to " + max);
        return parsed;
    }

    public int intValue(String key, int defaultValue, int min, int max) {
        return (int) longValue(key, defaultValue, min, max);
    }

    public boolean bool(String key, boolean defaultValue) {
        Optional<String> v = raw(key);
        if (v.isEmpty() || v.get().isEmpty()) return defaultValue;
        return switch (v.get().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new ConfigException(key, v.get(), "true or false");
        };
    }

    /** A duration such as {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 1d}. */
    public Duration duration(String key, Duration defaultValue, Duration min, Duration max) {
        Optional<String> v = raw(key);
        if (v.isEmpty() || v.get().isEmpty()) return defaultValue;
        Matcher m = DURATION.matcher(v.get());
        String allowed = "a duration like 500ms, 2s, 5m, 1h or 1d, from " + min + " to " + max;
        if (!m.matches()) throw new ConfigException(key, v.get(), allowed);
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) throw new ConfigException(key, v.get(), allowed);
        return d;
    }

    /** A list (YAML sequence, or comma-separated in the environment); empty entries are dropped. */
    public List<String> list(String key) {
        return raw(key).map(s -> Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList())
                .orElse(List.of());
    }

    /** An http(s) or ws(s) URL. */
    public Optional<String> url(String key, Set<String> schemes) {
        Optional<String> v = optionalString(key);
        v.ifPresent(u -> checkUrl(key, u, schemes));
        return v;
    }

    /** A list of URLs, at least one. */
    public List<String> urls(String key, Set<String> schemes) {
        List<String> urls = list(key);
        if (urls.isEmpty()) {
            throw new ConfigException(key, null, "at least one " + schemes + " URL (set it in the file or "
                    + envName(key) + ")");
        }
        urls.forEach(u -> checkUrl(key, u, schemes));
        return urls;
    }

    private static void checkUrl(String key, String u, Set<String> schemes) {
        int i = u.indexOf("://");
        if (i <= 0 || !schemes.contains(u.substring(0, i).toLowerCase(Locale.ROOT)) || u.length() <= i + 3) {
            throw new ConfigException(key, u, "a URL with scheme " + String.join(" or ", new TreeSet<>(schemes)));
        }
    }

    /** Fails on any key in the file that no getter read: a typo would otherwise be silently ignored. */
    public void rejectUnknownKeys() {
        Set<String> unknown = new TreeSet<>(fileValues.keySet());
        unknown.removeAll(read);
        if (!unknown.isEmpty()) {
            throw new ConfigException(unknown.iterator().next(), null, "unknown key (known keys: "
                    + new TreeSet<>(read) + ")");
        }
    }
}

package io.isomargin.abi.config;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * One service's configuration: a YAML file whose every key can be overridden by an environment variable
 * ({@code <PREFIX>} + the key upper-cased with dots and dashes as underscores, e.g. {@code rpc.http-urls} ->
 * {@code ISOMARGIN_INDEXER_RPC_HTTP_URLS}; lists as comma-separated values). The service declares the keys it knows
 * ({@link ConfigKeys}); a key in the file, or a variable with the prefix, that matches none of them is rejected at
 * {@link #load} with the nearest known key, before any getter can report a misspelt key as missing. Typed getters
 * validate as they read and throw {@link ConfigException} naming the key.
 */
public final class ConfigSource {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)?");

    private final Map<String, JsonNode> fileValues;
    private final Map<String, String> env;
    private final String envPrefix;
    private final ConfigKeys known;
    private final Set<String> read = new HashSet<>();

    private ConfigSource(Map<String, JsonNode> fileValues, Map<String, String> env, String envPrefix,
            ConfigKeys known) {
        this.fileValues = fileValues;
        this.env = env;
        this.envPrefix = envPrefix;
        this.known = known;
    }

    /**
     * Reads {@code file} (may be null: environment only) with overrides from {@code env}.
     *
     * @param known the keys the service reads; any other key in the file, or variable starting with
     *              {@code envPrefix} that overrides none of them (and is not named by one of them), is an error
     * @throws ConfigException on an unreadable file or an unknown key or variable
     */
    public static ConfigSource load(Path file, Map<String, String> env, String envPrefix, ConfigKeys known) {
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
                throw new ConfigException("config file", file.toString(), "not valid YAML" + yamlProblem(e));
            }
        }
        ConfigSource source = new ConfigSource(values, Map.copyOf(env), envPrefix, known);
        source.rejectUnknown(file);
        return source;
    }

    /** The first unknown key of the file, else the first unknown variable of the environment, as an error. */
    private void rejectUnknown(Path file) {
        // an empty section (every key under it commented out) sets nothing
        fileValues.entrySet().removeIf(e -> e.getValue().isNull()
                && known.keys().stream().anyMatch(k -> k.startsWith(e.getKey() + ".")));
        for (String key : new TreeSet<>(fileValues.keySet())) {
            if (!known.contains(key)) throw unknownKey(key, file, known.keys());
        }
        Set<String> allowed = new HashSet<>();
        known.keys().forEach(k -> allowed.add(envName(k)));
        for (String k : known.keysNamingVariables()) {
            String name = env.get(envName(k));
            JsonNode n = fileValues.get(k);
            if (name == null && n != null && !n.isNull()) name = n.asText();
            if (name != null) allowed.add(name.trim());
        }
        for (String variable : new TreeSet<>(env.keySet())) {
            if (variable.startsWith(envPrefix) && !allowed.contains(variable)) {
                String nearest = ConfigKeys.nearest(variable, known.keys(), this::envName);
                throw ConfigException.unknown(variable, "unknown environment variable " + variable + ": it overrides "
                        + "no config key; did you mean " + envName(nearest) + " (key '" + nearest + "')?");
            }
        }
    }

    private static ConfigException unknownKey(String key, Path file, Set<String> candidates) {
        String nearest = ConfigKeys.nearest(key, candidates, k -> k);
        return ConfigException.unknown(key, "unknown key '" + key + "'"
                + (file == null ? "" : " in " + file.getFileName()) + (nearest == null ? ""
                : "; did you mean '" + nearest + "'?"));
    }

    /**
     * Where and what the YAML parser found wrong, without the snippet of the file it quotes: the file may hold a URL
     * with an API key in it.
     */
    private static String yamlProblem(IOException e) {
        StringBuilder out = new StringBuilder();
        if (e instanceof JsonProcessingException j && j.getLocation() != null) {
            out.append(" at line ").append(j.getLocation().getLineNr()).append(", column ")
                    .append(j.getLocation().getColumnNr());
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException m) {
                out.append(": ").append(m.getContext() == null ? "" : m.getContext() + ", ").append(m.getProblem());
                break;
            }
        }
        return out.toString();
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
        if (!known.contains(key)) {
            throw new IllegalStateException("config key '" + key + "' is read but not declared among the service's "
                    + "known keys (its ConfigKeys)");
        }
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

    /**
     * A size in bytes such as {@code 8MiB}, {@code 10MB}, {@code 512KiB} or {@code 4096} (plain bytes): {@code kB} (or
     * {@code KB}), {@code MB} and {@code GB} are powers of 1000, {@code KiB}, {@code MiB} and {@code GiB} of 1024.
     */
    public long byteSize(String key, long defaultValue, long min, long max) {
        Optional<String> v = raw(key);
        if (v.isEmpty() || v.get().isEmpty()) return defaultValue;
        Matcher m = SIZE.matcher(v.get().replace("_", ""));
        String allowed = "a size like 8MiB, 10MB, 512KiB or a number of bytes, from " + min + " to " + max + " bytes";
        if (!m.matches() || m.group(1).length() > 12) throw new ConfigException(key, v.get(), allowed);
        long unit = switch (m.group(2) == null ? "B" : m.group(2)) {
            case "kB", "KB" -> 1_000L;
            case "KiB" -> 1L << 10;
            case "MB" -> 1_000_000L;
            case "MiB" -> 1L << 20;
            case "GB" -> 1_000_000_000L;
            case "GiB" -> 1L << 30;
            default -> 1L;
        };
        long bytes = Long.parseLong(m.group(1)) * unit;
        if (bytes < min || bytes > max) throw new ConfigException(key, v.get(), allowed);
        return bytes;
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
            throw new ConfigException(key, Redact.url(u), "a URL with scheme "
                    + String.join(" or ", new TreeSet<>(schemes)));
        }
    }

    /**
     * Fails on any key the file or the environment sets that no getter read: a known key the service forgot to read
     * would otherwise be silently ignored (unknown ones were rejected at {@link #load}). Call it after reading.
     */
    public void rejectUnknownKeys() {
        Set<String> unread = new TreeSet<>(fileValues.keySet());
        known.keys().stream().filter(k -> env.containsKey(envName(k))).forEach(unread::add);
        unread.removeAll(read);
        if (!unread.isEmpty()) throw unknownKey(unread.iterator().next(), null, read);
    }
}

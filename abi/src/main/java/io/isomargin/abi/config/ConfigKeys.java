package io.isomargin.abi.config;

import java.util.Arrays;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * The keys one service's configuration knows, declared once beside the code that reads them: the YAML file and the
 * environment may set these and no others ({@link ConfigSource} rejects the rest, naming the nearest known key).
 * A key may hold the NAME of another environment variable the service reads (the keeper's
 * {@code key.private-key-env}); that variable is allowed even when it carries the service's prefix.
 */
public final class ConfigKeys {
    private final Set<String> keys;
    private final Set<String> namingVariables;

    private ConfigKeys(Set<String> keys, Set<String> namingVariables) {
        this.keys = Set.copyOf(keys);
        this.namingVariables = Set.copyOf(namingVariables);
    }

    /** The dotted keys (e.g. {@code rpc.http-urls}) a service reads. */
    public static ConfigKeys of(String... keys) {
        return new ConfigKeys(new TreeSet<>(Arrays.asList(keys)), Set.of());
    }

    /** The same keys, where each of {@code keys} holds the name of an environment variable the service reads. */
    public ConfigKeys namingVariables(String... keys) {
        for (String k : keys) {
            if (!this.keys.contains(k)) throw new IllegalArgumentException("'" + k + "' is not among the known keys");
        }
        return new ConfigKeys(this.keys, Set.of(keys));
    }

    /** Every known key, sorted. */
    public Set<String> keys() {
        return new TreeSet<>(keys);
    }

    /** The keys whose values name environment variables. */
    Set<String> keysNamingVariables() {
        return namingVariables;
    }

    boolean contains(String key) {
        return keys.contains(key);
    }

    /**
     * The one of {@code candidates} nearest to {@code unknown} by Levenshtein distance, each candidate compared in the
     * form {@code form} gives it (e.g. as an environment variable name); ties go to the first in sorted order.
     */
    static String nearest(String unknown, Collection<String> candidates, UnaryOperator<String> form) {
        LevenshteinDistance distance = LevenshteinDistance.getDefaultInstance();
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : new TreeSet<>(candidates)) {
            int d = distance.apply(unknown, form.apply(c));
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return best;
    }
}

package io.isomargin.abi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version and commit the services were built from, as {@code --version} prints them: read from
 * {@code build.properties}, which Maven fills in at build time. A value Maven could not fill in (a build outside a
 * git checkout) reads as {@code unknown}.
 */
public final class BuildInfo {
    private static final Properties PROPERTIES = load();

    private BuildInfo() {}

    /** The project version, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String version() {
        return value("version");
    }

    /** The abbreviated commit id, with {@code -dirty} when the working tree had changes; or {@code unknown}. */
    public static String commit() {
        String commit = value("commit");
        return "true".equals(value("dirty")) && !commit.equals("unknown") ? commit + "-dirty" : commit;
    }

    /** One line for {@code --version}: {@code <name> <version> (commit <commit>)}. */
    public static String describe(String name) {
        return name + " " + version() + " (commit " + commit() + ")";
    }

    private static String value(String key) {
        String v = PROPERTIES.getProperty(key, "").trim();
        return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read build.properties", e);
        }
        return p;
    }
}

package io.isomargin.bench.keeper;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code target/bench/keeper.json}: the keeper's benchmark figures. Each keeper benchmark command merges its own keys
 * into the file (keeping the others' keys), so {@code make bench} can run them one after the other.
 */
final class KeeperReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private KeeperReport() {}

    /** The report directory: {@code target/bench} under the repository root ({@code -Disomargin.root}). */
    static Path dir() throws IOException {
        String root = System.getProperty("isomargin.root", ".");
        Path dir = Path.of(root, "target", "bench").toAbsolutePath().normalize();
        Files.createDirectories(dir);
        return dir;
    }

    /** Merges {@code values} into {@code keeper.json}; returns the file. */
    static Path merge(Map<String, Object> values) throws IOException {
        Path file = dir().resolve("keeper.json");
        Map<String, Object> all = new LinkedHashMap<>();
        if (Files.isRegularFile(file)) {
            all.putAll(JSON.readValue(file.toFile(), new TypeReference<Map<String, Object>>() {}));
        }
        all.putAll(values);
        JSON.writeValue(file.toFile(), all);
        return file;
    }
}

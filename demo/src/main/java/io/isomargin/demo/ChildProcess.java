package io.isomargin.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A process the demo starts (chain, indexer, keeper), its output in a log file, stopped gently then hard. */
final class ChildProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;
    private volatile Path scratch; // deleted once the process has stopped (null: none)

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Deletes {@code dir} (a scratch directory of the process) once the process has stopped. */
    ChildProcess deletingOnStop(Path dir) {
        scratch = dir;
        return this;
    }

    /** Deletes a directory and everything under it, as far as it can. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * {@code --sun-misc-unsafe-memory-access=allow} (quiets Netty's warning on JDK 24+) when this JVM, which also runs
     * the children, knows the flag (JDK 23+); JDK 21 and 22 refuse to start with it.
     */
    static List<String> unsafeAccessFlag() {
        return Runtime.version().feature() >= 23 ? List.of("--sun-misc-unsafe-memory-access=allow") : List.of();
    }

    static ChildProcess start(String name, List<String> command, Map<String, String> env, Path workDir, Path log)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new ChildProcess(name, pb.start(), log);
    }

    boolean alive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    /** Fails with the log's path when the process has exited. */
    void checkAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with code " + process.exitValue() + "; see " + log);
        }
    }

    /** SIGTERM, then SIGKILL after {@code grace}; children too. */
    void stop(Duration grace) {
        try {
            stopProcess(grace);
        } finally {
            Path dir = scratch;
            if (dir != null && !process.isAlive()) {
                try {
                    deleteTree(dir);
                } catch (IOException | java.io.UncheckedIOException e) {
                    System.err.println("demo: could not delete " + dir + ": " + e.getMessage());
                }
            }
        }
    }

    private void stopProcess(Duration grace) {
        if (!process.isAlive()) return;
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ", log " + log + ")";
    }
}

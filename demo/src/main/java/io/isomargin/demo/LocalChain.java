package io.isomargin.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The local node the demo runs on, mining a block every second: Anvil, or a Hardhat 2 node. */
enum LocalChain {
    ANVIL("anvil") {
        @Override
        ChildProcess start(Path root, int port, Path log) throws IOException {
            // the states anvil no longer keeps in memory (~230 kB a block) go beside its log and are deleted when it
            // stops, not to ~/.foundry/anvil/tmp, which anvil never cleans
            Path cache = log.resolveSibling("anvil-cache");
            ChildProcess.deleteTree(cache);
            return ChildProcess.start(name, List.of(root.resolve("node_modules/.bin/anvil").toString(), "--host",
                    "127.0.0.1", "--port", Integer.toString(port), "--block-time", "1", "--cache-path",
                    cache.toString()), Map.of(), root, log).deletingOnStop(cache);
        }
    },
    /** tools/hardhat/hardhat.config.cjs: chain id 31337, the same dev accounts, interval mining from the env. */
    HARDHAT("hardhat") {
        @Override
        ChildProcess start(Path root, int port, Path log) throws IOException {
            return ChildProcess.start(name, List.of(root.resolve("node_modules/.bin/hardhat").toString(), "node",
                    "--hostname", "127.0.0.1", "--port", Integer.toString(port), "--config",
                    root.resolve("tools/hardhat/hardhat.config.cjs").toString()),
                    Map.of("HARDHAT_INTERVAL_MS", "1000", "HARDHAT_DISABLE_TELEMETRY_PROMPT", "true"), root, log);
        }
    };

    final String name;

    LocalChain(String name) {
        this.name = name;
    }

    String displayName() {
        return name;
    }

    abstract ChildProcess start(Path root, int port, Path log) throws IOException;

    static LocalChain of(String name) {
        for (LocalChain c : values()) if (c.name.equals(name)) return c;
        throw new IllegalArgumentException("--chain must be anvil or hardhat, not '" + name + "'");
    }
}

// A local Hardhat node for Isomargin: the same chain id, dev accounts and block gas limit as Anvil's defaults.
// Nothing here compiles (the node needs no solc; contracts are built and deployed by forge), so `hardhat node`
// runs offline. Start it with tools/hardhat-node.sh, or directly:
//   HARDHAT_INTERVAL_MS=1000 node_modules/.bin/hardhat --config tools/hardhat/hardhat.config.cjs \
//     node --hostname 127.0.0.1 --port 8545
// HARDHAT_INTERVAL_MS: unset or 0 = automine (one block per transaction, as the tests use it);
// N > 0 = interval mining, one block every N ms (the demo uses 1000) and no automine.
// HARDHAT_GC_INTERVAL_MS: unset = 1000; N > 0 = a full garbage collection every N ms; 0 = none (see below).
"use strict";

const intervalRaw = process.env.HARDHAT_INTERVAL_MS ?? "0";
if (!/^\d+$/.test(intervalRaw.trim())) {
  throw new Error(`HARDHAT_INTERVAL_MS must be a whole number of milliseconds (0 = automine), got "${intervalRaw}"`);
}
const intervalMs = Number(intervalRaw.trim());

// The node's engine (EDR, Rust) keeps every call's execution trace (each EVM step of an eth_call, eth_estimateGas
// or transaction) in native memory that is freed only when V8 garbage-collects the small JS object wrapping the
// response. V8 does not see that memory, and the JS heap of a node serving JSON-RPC stays near 20 MB, so it
// collects rarely. A full collection every second frees those traces as they come: the 2,000-vault demo's node
// peaked at 5.1 GB with it and 8.8 GB without (VmRSS, 2026-12-06). The flag is set at run time, so it works however
// the node is started (tools/hardhat-node.sh, the demo, the test harness).
const gcRaw = process.env.HARDHAT_GC_INTERVAL_MS ?? "1000";
if (!/^\d+$/.test(gcRaw.trim()) || Number(gcRaw.trim()) > 3_600_000) {
  throw new Error(`HARDHAT_GC_INTERVAL_MS must be a whole number of milliseconds from 0 (no forced garbage `
    + `collection) to 3600000, got "${gcRaw}"`);
}
const gcIntervalMs = Number(gcRaw.trim());
if (gcIntervalMs > 0 && !global.__isomarginGcTimer) {
  let gc = typeof global.gc === "function" ? global.gc : undefined;
  if (!gc) {
    require("v8").setFlagsFromString("--expose-gc");
    gc = require("vm").runInNewContext("gc");
  }
  // unref: the timer never keeps a finished Hardhat command alive
  global.__isomarginGcTimer = setInterval(() => gc(), gcIntervalMs).unref();
}

/** @type {import("hardhat/config").HardhatUserConfig} */
module.exports = {
  // no solidity sources: keep Hardhat from looking for (and downloading) a compiler
  solidity: { compilers: [] },
  paths: {
    root: __dirname,
    sources: "./no-sources",
    cache: "../../target/hardhat/cache",
    artifacts: "../../target/hardhat/artifacts",
  },
  defaultNetwork: "hardhat",
  networks: {
    hardhat: {
      chainId: 31337,
      // Hardhat's default mnemonic: the same 20 keys as Anvil's dev accounts
      accounts: {
        mnemonic: "test test test test test test test test test test test junk",
        count: 20,
        accountsBalance: "10000000000000000000000", // 10,000 ETH, as Anvil
      },
      allowUnlimitedContractSize: false, // EIP-170: 24,576-byte runtime limit, as on a real chain
      blockGasLimit: 30_000_000,
      initialBaseFeePerGas: 1_000_000_000, // 1 gwei, Anvil's initial base fee
      loggingEnabled: false,
      mining: intervalMs > 0
        ? { auto: false, interval: intervalMs, mempool: { order: "fifo" } }
        : { auto: true, interval: 0 },
    },
  },
};

// A local Hardhat node for Isomargin: the same chain id, dev accounts and block gas limit as Anvil's defaults.
// Nothing here compiles (the node needs no solc; contracts are built and deployed by forge), so `hardhat node`
// runs offline. Start it with tools/hardhat-node.sh, or directly:
//   HARDHAT_INTERVAL_MS=1000 node_modules/.bin/hardhat --config tools/hardhat/hardhat.config.cjs \
//     node --hostname 127.0.0.1 --port 8545
// HARDHAT_INTERVAL_MS: unset or 0 = automine (one block per transaction, as the tests use it);
// N > 0 = interval mining, one block every N ms (the demo uses 1000) and no automine.
"use strict";

const intervalRaw = process.env.HARDHAT_INTERVAL_MS ?? "0";
if (!/^\d+$/.test(intervalRaw.trim())) {
  throw new Error(`HARDHAT_INTERVAL_MS must be a whole number of milliseconds (0 = automine), got "${intervalRaw}"`);
}
const intervalMs = Number(intervalRaw.trim());

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

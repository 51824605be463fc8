#!/usr/bin/env node
// Exports the ABI and bytecode of the deployable contracts from a forge build to one JSON file each:
//   node contracts/tools/export-abi.cjs <forge-out-dir> <dest-dir> [File.sol:Name,...]
// Without the third argument it exports the contracts below (abi/); `make bench-abi` names the benchmark's helper.
// The Java bindings are generated from these files, so they are committed; `make check-abi` rebuilds
// them into a temporary folder and fails when they differ from the committed ones.
'use strict';
const fs = require('fs');
const path = require('path');

const CONTRACTS = [
  ['IsomarginEngine.sol', 'IsomarginEngine'],
  ['IsomarginLens.sol', 'IsomarginLens'],
  ['MarginGuard.sol', 'MarginGuard'],
  ['MockERC20.sol', 'MockERC20'],
  ['MockAggregator.sol', 'MockAggregator'],
  ['ILiquidationCallback.sol', 'ILiquidationCallback'],
  ['SwapLiquidator.sol', 'SwapLiquidator'],
];

// Uniswap V2, deployed from the pinned npm packages' own compiled artifacts (Solidity 0.5/0.6, not built here): the
// test harness and the keeper use their bindings (deploy, pools, quotes). Exported with the default list only.
const UNISWAP = [
  ['@uniswap/v2-core/build/UniswapV2Factory.json', 'UniswapV2Factory'],
  ['@uniswap/v2-core/build/UniswapV2Pair.json', 'UniswapV2Pair'],
  ['@uniswap/v2-periphery/build/UniswapV2Router02.json', 'UniswapV2Router02'],
];
const NODE_MODULES = path.join(__dirname, '..', '..', 'node_modules');

// A contract over this size cannot be deployed on mainnet-like chains (Anvil would still accept it).
const EIP170_LIMIT = 24576;

const [outDir, destDir, only] = process.argv.slice(2);
if (!outDir || !destDir) {
  console.error('usage: export-abi.cjs <forge-out-dir> <dest-dir> [File.sol:Name,...]');
  process.exit(2);
}
const selected = only ? only.split(',').map((c) => c.split(':')) : CONTRACTS;
fs.mkdirSync(destDir, { recursive: true });
for (const [file, name] of selected) {
  const artifact = path.join(outDir, file, `${name}.json`);
  if (!fs.existsSync(artifact)) {
    console.error(`export-abi: ${artifact} not found; run forge build first`);
    process.exit(1);
  }
  const a = JSON.parse(fs.readFileSync(artifact, 'utf8'));
  const bytecode = a.bytecode && a.bytecode.object && a.bytecode.object !== '0x' ? a.bytecode.object : undefined;
  const runtime = a.deployedBytecode && a.deployedBytecode.object ? (a.deployedBytecode.object.length - 2) / 2 : 0;
  if (runtime > EIP170_LIMIT) {
    console.error(`export-abi: ${name} runtime code is ${runtime} bytes, over the EIP-170 limit of ${EIP170_LIMIT}`);
    process.exit(1);
  }
  const out = { contractName: name, abi: a.abi };
  if (bytecode) out.bytecode = bytecode;
  fs.writeFileSync(path.join(destDir, `${name}.json`), JSON.stringify(out, null, 2) + '\n');
}
const uniswap = only ? [] : UNISWAP;
for (const [file, name] of uniswap) {
  const artifact = path.join(NODE_MODULES, file);
  if (!fs.existsSync(artifact)) {
    console.error(`export-abi: ${artifact} not found; run make tools (npm install) first`);
    process.exit(1);
  }
  const a = JSON.parse(fs.readFileSync(artifact, 'utf8'));
  const hex = a.bytecode.startsWith('0x') ? a.bytecode : `0x${a.bytecode}`;
  const out = { contractName: name, abi: a.abi, bytecode: hex };
  fs.writeFileSync(path.join(destDir, `${name}.json`), JSON.stringify(out, null, 2) + '\n');
}
console.log(`export-abi: wrote ${selected.length + uniswap.length} contracts to ${destDir}`);

#!/usr/bin/env node
// A solc binary for forge, backed by solc-js from npm. Forge cannot download a native compiler
// offline, so `forge build --use contracts/tools/solc.cjs` runs this instead: it answers
// `--version` like native solc and otherwise compiles standard JSON from stdin to stdout.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

if (process.argv.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}

// Resolve imports the compiler asks for that forge did not inline in the input: relative to the
// working directory forge runs in, or to the allowed paths it passes.
const roots = [process.cwd()];
for (let i = 0; i < process.argv.length; i++) {
  if ((process.argv[i] === '--allow-paths' || process.argv[i] === '--base-path' || process.argv[i] === '--include-path') && process.argv[i + 1]) {
    roots.push(...process.argv[i + 1].split(','));
  }
}
function findImports(p) {
  for (const root of roots) {
    const candidate = path.resolve(root, p);
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: `file not found: ${p}` };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImports }));

#!/usr/bin/env node
// CommonJS (bin/package.json), like the bundle it loads: starting without Node's ES module loader is
// faster. The CLI is bundled by scripts/bundle.js and compiled through V8's code cache (src/code-cache.ts).
const {join} = require('node:path')

const {codeCacheDir, installCodeCache} = require('../dist/cli/code-cache.js')

const root = join(__dirname, '..')
installCodeCache(join(root, 'dist', 'cli'), codeCacheDir())
// The package root given, not found: oclif would stop at bin/package.json.
require('../dist/cli/cli.js').execute({loadOptions: {root}})

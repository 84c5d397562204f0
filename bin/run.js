#!/usr/bin/env node
// The CLI is bundled as CommonJS (scripts/bundle.js) and compiled through V8's code cache (src/code-cache.ts).
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

import {codeCacheDir, installCodeCache} from '../dist/code-cache.js'

installCodeCache(fileURLToPath(new URL('../dist/cli', import.meta.url)), codeCacheDir())
const {execute} = createRequire(import.meta.url)('../dist/cli/cli.js')

await execute({dir: import.meta.url})

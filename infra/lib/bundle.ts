import {buildSync} from 'esbuild'
import {mkdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root: the Lambda is built from the same source as the CLI. */
export const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const HANDLER_ENTRY = join(REPOSITORY_ROOT, 'src', 'lambda', 'message-stream.ts')

/**
 * Bundles the stream Lambda into one ESM file (index.mjs, exporting `handler`) with esbuild, locally and
 * offline: no Docker, no network. The AWS SDK is bundled too, so the function runs the SDK version the CLI
 * was tested with instead of whatever the runtime carries.
 */
export function bundleMessageStreamHandler(outDir = join(REPOSITORY_ROOT, 'infra', 'build', 'message-stream')): string {
  mkdirSync(outDir, {recursive: true})
  buildSync({
    // The SDK's CommonJS parts call require(); ESM output needs one.
    banner: {js: "import {createRequire} from 'node:module'; const require = createRequire(import.meta.url);"},
    bundle: true,
    entryPoints: [HANDLER_ENTRY],
    format: 'esm',
    legalComments: 'none',
    logLevel: 'error',
    minify: true,
    outfile: join(outDir, 'index.mjs'),
    platform: 'node',
    sourcemap: false,
    target: 'node22',
  })
  return outDir
}

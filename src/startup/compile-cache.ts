import Module from 'node:module'

import {installCodeCache} from './code-cache.js'

/**
 * Keeps the CLI's compiled code in cacheDir between runs. The bundle goes through installCodeCache on every
 * Node: its caches are written at exit, holding the functions the run compiled lazily too, where Node's own
 * compile cache (22 and later) keeps what was compiled at load only (measured on Node 24: `ddb list-tables`
 * 121 ms with ours, 150 ms with Node's). Node's, where there is one, covers every other module (the ES modules
 * of oclif's plugins, which ours cannot). Returns which are in use.
 */
export function installCompileCache(
  bundleDir: string,
  cacheDir: string | undefined,
): 'node+cruddur' | 'cruddur' | undefined {
  if (!cacheDir) return undefined
  const {enableCompileCache} = Module as unknown as {enableCompileCache?: (dir: string) => unknown}
  enableCompileCache?.(cacheDir)
  installCodeCache(bundleDir, cacheDir)
  return enableCompileCache ? 'node+cruddur' : 'cruddur'
}

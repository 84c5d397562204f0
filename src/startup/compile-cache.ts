import Module from 'node:module'

import {installCodeCache} from './code-cache.js'

/**
 * Keeps the CLI's compiled code in cacheDir between runs: Node's own compile cache where Node has one
 * (22 and later: it covers every module, with no loader of ours in the way), else installCodeCache.
 * Returns which one is in use.
 */
export function installCompileCache(bundleDir: string, cacheDir: string | undefined): 'node' | 'cruddur' | undefined {
  if (!cacheDir) return undefined
  const {enableCompileCache} = Module as unknown as {enableCompileCache?: (dir: string) => unknown}
  if (enableCompileCache) {
    enableCompileCache(cacheDir)
    return 'node'
  }

  installCodeCache(bundleDir, cacheDir)
  return 'cruddur'
}

// Where cruddur keeps things on disk, each rule written once: flag, then environment, then the XDG default.
// Node built-ins only: the startup loader (src/startup) reads the code-cache rule before anything else loads.
import {homedir} from 'node:os'
import {join} from 'node:path'

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const dataHome = env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(dataHome, 'cruddur')
}

export function resolveStateDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.CRUDDUR_STATE_DIR || defaultStateDir(env)
}

/** Downloads (DynamoDB Local) and the code cache: CRUDDUR_CACHE_DIR (as oclif reads it), else the XDG one. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CRUDDUR_CACHE_DIR) return env.CRUDDUR_CACHE_DIR
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(cacheHome, 'cruddur')
}

/**
 * Where the compiled-code caches go: CRUDDUR_CODE_CACHE_DIR, else `code-cache` in the download cache's
 * directory, one folder per Node version and architecture. CRUDDUR_CODE_CACHE=0 turns the cache off.
 */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CRUDDUR_CODE_CACHE === '0') return undefined
  const version = `${process.version}-${process.arch}`
  return env.CRUDDUR_CODE_CACHE_DIR
    ? join(env.CRUDDUR_CODE_CACHE_DIR, version)
    : join(defaultCacheDir(env), 'code-cache', version)
}

export const stateFile = (stateDir: string) => join(stateDir, 'state.json')

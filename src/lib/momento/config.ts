// How the cache client talks to Momento: its time limits and its key. Where the cache is (the target) is in
// src/lib/targets/momento.ts.
import {CruddurError} from '../errors.js'

/**
 * Every data call (get, set, delete) gives up after this long, retries included: a local DynamoDB query
 * takes a few milliseconds, a cold one to AWS a few hundred, so a slower cache is a dead cache.
 */
export const CACHE_TIMEOUT_MS = 800
/** Control calls (create, list, delete a cache) are rarer and may take a TLS handshake to a region. */
export const CONTROL_TIMEOUT_MS = 10_000

const KEY_ENV = ['MOMENTO_API_KEY', 'MOMENTO_AUTH_TOKEN'] as const

/** The API key for Momento itself: MOMENTO_API_KEY, else the notes' MOMENTO_AUTH_TOKEN. Never print it. */
export function momentoApiKey(env: NodeJS.ProcessEnv): {name: (typeof KEY_ENV)[number]; key: string} {
  for (const name of KEY_ENV) {
    const key = env[name]?.trim()
    if (key) return {key, name}
  }

  throw new CruddurError(
    'INVALID_INPUT',
    'No Momento API key: set MOMENTO_API_KEY (or MOMENTO_AUTH_TOKEN) to a key from the Momento ' +
      'console, or drop --prod to use the local stand-in.',
  )
}

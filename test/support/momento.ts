import {readState} from '../../src/lib/stack-state.js'
import {onCacheWarning} from '../../src/lib/momento/cache-aside.js'
import {closeMomentoClients} from '../../src/lib/momento/client.js'
import {type MomentoTarget, resolveMomentoTarget} from '../../src/lib/targets/momento.js'
import {testStack} from '../hooks.js'

/** The stand-in `local start` runs for the test stack. */
export function stackTarget(cacheName = 'cruddur', ttlSeconds = 600): MomentoTarget {
  const momento = readState(testStack().stateDir).momento
  if (!momento) throw new Error('the test stack runs no Momento stand-in')
  return resolveMomentoTarget({cache: cacheName}, {MOMENTO_TTL_SECONDS: String(ttlSeconds)}, {momento})
}

/** A stand-in (or a silent server) of the test's own on `port`. */
export const localTarget = (port: number, ttlSeconds = 600): MomentoTarget => ({
  cacheName: 'cruddur',
  endpoint: `127.0.0.1:${port}`,
  kind: 'local',
  source: 'flag',
  ttlSeconds,
})

/** A loader that counts its calls, like a DynamoDB read would. */
export function countingLoader<T>(value: T) {
  const loader = async () => {
    loader.calls++
    return value
  }

  loader.calls = 0
  return loader
}

/** A name no other test (or earlier run against the same stand-in) uses. */
export const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`

/**
 * Registers, in the calling `describe`, hooks that collect each test's cache warnings into the returned list
 * (instead of stderr) and close the Momento clients afterwards.
 */
export function useCacheWarnings(): string[] {
  const warnings: string[] = []
  let restoreWarnings: (message: string) => void

  beforeEach(() => {
    warnings.length = 0
    restoreWarnings = onCacheWarning((message) => warnings.push(message))
  })

  afterEach(() => {
    onCacheWarning(restoreWarnings)
  })

  after(() => closeMomentoClients())
  return warnings
}

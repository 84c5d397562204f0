import {
  CacheClient,
  CacheSetIfAbsentResponse,
  Configurations,
  CreateCacheResponse,
  CredentialProvider,
  FixedCountRetryStrategy,
  ListCachesResponse,
  MomentoLocalProvider,
  NoopMomentoLoggerFactory,
} from '@gomomento/sdk'

import {CruddurError} from '../errors.js'
import {type MomentoTarget} from '../targets/momento.js'
import {closeOnExit} from './cache-aside.js'
import {CACHE_TIMEOUT_MS, CONTROL_TIMEOUT_MS, momentoApiKey} from './config.js'

/** The little a cache-aside reader needs; errors are thrown, so a caller can fall back on any of them. */
export interface CacheStore {
  readonly name: string
  readonly ttlSeconds: number
  /** The value, or undefined on a miss. */
  get(key: string): Promise<string | undefined>
  set(key: string, value: string, ttlSeconds?: number): Promise<void>
  /** Stores only when the key holds nothing; true when it stored. */
  setIfAbsent(key: string, value: string): Promise<boolean>
  delete(key: string): Promise<void>
}

/** How a CacheClient reaches its target: the stand-in needs no key, Momento needs one. */
export function momentoCredentials(target: MomentoTarget, env: NodeJS.ProcessEnv = process.env): CredentialProvider {
  if (target.kind === 'local') {
    const [hostname, port] = target.endpoint!.split(/:(?=\d+$)/)
    return new MomentoLocalProvider({hostname, port: Number(port)})
  }

  const {key, name} = momentoApiKey(env)
  // The SDK's own parse errors may quote the token, so none of them is ever shown.
  if (env.MOMENTO_ENDPOINT) {
    try {
      return CredentialProvider.fromApiKeyV2({apiKey: key, endpoint: env.MOMENTO_ENDPOINT})
    } catch {}
  }

  try {
    return CredentialProvider.fromString({apiKey: key})
  } catch (error) {
    if (/v2 API key/.test(String((error as Error)?.message)) && !env.MOMENTO_ENDPOINT) {
      throw new CruddurError(
        'INVALID_INPUT',
        `${name} holds a v2 API key, which needs its endpoint: set MOMENTO_ENDPOINT (e.g. ` +
          `cell-4-us-west-2-1.prod.a.momentohq.com) from the Momento console.`,
      )
    }

    throw new CruddurError(
      'INVALID_INPUT',
      `${name} is not a valid Momento API key: copy a key from the Momento console (a v2 key ` +
        `also needs MOMENTO_ENDPOINT).`,
    )
  }
}

/**
 * A CacheClient with short timeouts that throws on errors and logs nothing (its logs could hold the endpoint
 * setup). No retries: a failed cache call falls back to DynamoDB anyway, and the SDK's retry timer would fire on
 * a channel the command already closed, throwing from the timer after the result was printed.
 */
export function createMomentoClient(target: MomentoTarget, env: NodeJS.ProcessEnv = process.env): CacheClient {
  const loggerFactory = new NoopMomentoLoggerFactory()
  const configuration = Configurations.Laptop.v1(loggerFactory)
    .withClientTimeoutMillis(CACHE_TIMEOUT_MS)
    .withThrowOnErrors(true)
    .withRetryStrategy(new FixedCountRetryStrategy({loggerFactory, maxAttempts: 0}))
  return new CacheClient({
    configuration,
    credentialProvider: momentoCredentials(target, env),
    defaultTtlSeconds: target.ttlSeconds,
  })
}

const clients = new Map<string, CacheClient>()

/** One client per target per process, created on first use. */
export function momentoClient(target: MomentoTarget, env: NodeJS.ProcessEnv = process.env): CacheClient {
  const id = `${target.kind} ${target.endpoint ?? ''}`
  let client = clients.get(id)
  if (!client) {
    client = createMomentoClient(target, env)
    clients.set(id, client)
    closeOnExit(closeMomentoClients)
  }

  return client
}

/** Closes every client this process opened (their channels would otherwise keep it alive). */
export function closeMomentoClients(): void {
  for (const client of clients.values()) client.close()
  clients.clear()
}

/** The cache a target names, as a CacheStore over the process's client. */
export function momentoCacheStore(target: MomentoTarget, env: NodeJS.ProcessEnv = process.env): CacheStore {
  return cacheStoreOver(momentoClient(target, env), target.cacheName, target.ttlSeconds)
}

/** The SDK is set to throw, but its types still allow error responses: make them throws too. */
function orThrow<R extends object>(response: R): R {
  if ('innerException' in response && typeof response.innerException === 'function') throw response.innerException()
  return response
}

export function cacheStoreOver(client: CacheClient, name: string, ttlSeconds: number): CacheStore {
  return {
    async delete(key) {
      orThrow(await client.delete(name, key))
    },
    async get(key) {
      return orThrow(await client.get(name, key)).value()
    },
    name,
    async set(key, value, ttl = ttlSeconds) {
      orThrow(await client.set(name, key, value, {ttl}))
    },
    async setIfAbsent(key, value) {
      return (
        orThrow(await client.setIfAbsent(name, key, value, {ttl: ttlSeconds})).type === CacheSetIfAbsentResponse.Stored
      )
    },
    ttlSeconds,
  }
}

/** Control calls have the SDK's 60 s deadline; a command should not wait that long for a dead endpoint. */
const controlOptions = () => ({abortSignal: AbortSignal.timeout(CONTROL_TIMEOUT_MS)})

export interface CreateCacheResult {
  cache: string
  /** false when the cache existed already. */
  created: boolean
}

/** Creates the cache; one that exists already is fine (`created: false`). */
export async function createCache(client: CacheClient, name: string): Promise<CreateCacheResult> {
  const response = orThrow(await client.createCache(name, controlOptions()))
  return {cache: name, created: response.type === CreateCacheResponse.Success}
}

export async function listCaches(client: CacheClient): Promise<string[]> {
  const response = orThrow(await client.listCaches(controlOptions()))
  return response.type === ListCachesResponse.Success
    ? response
        .getCaches()
        .map((cache) => cache.getName())
        .sort()
    : []
}

export async function deleteCache(client: CacheClient, name: string): Promise<void> {
  orThrow(await client.deleteCache(name, controlOptions()))
}

/** Empties the cache; the cache itself stays. */
export async function flushCache(client: CacheClient, name: string): Promise<void> {
  orThrow(await client.flushCache(name, controlOptions()))
}

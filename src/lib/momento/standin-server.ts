/**
 * A development stand-in for Momento: the subset of Momento's published gRPC API that cruddur uses
 * (create, list, delete and flush a cache; get, set with a TTL, set-if-absent, delete a key; ping), in memory, built on
 * the official protocol definitions so the real @gomomento/sdk talks to it through MomentoLocalProvider.
 *
 * It is not Momento: no authentication (the local provider sends no key), no limits, no persistence,
 * and every other RPC answers UNIMPLEMENTED.
 */
import {cache, control, ping} from '@gomomento/generated-types'
import {
  type sendUnaryData,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js'

const {cache_client: data} = cache
const {control_client: controlPlane} = control

interface Entry {
  value: Uint8Array
  expiresAt: number
}

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void

export interface StandinOptions {
  host?: string
  /** 0 picks a free port. */
  port: number
  /** Caches that exist from the start. */
  caches?: string[]
  /** Told about each request, for the stand-in's log. */
  onRequest?: (method: string, cacheName?: string) => void
}

export interface Standin {
  port: number
  /** The number of live items in a cache, for tests. */
  size(cacheName: string): number
  close(): Promise<void>
}

const failure = (code: status, details: string) => Object.assign(new Error(details), {code, details})

/** Momento's data plane names the cache in the `cache` metadata header. */
function cacheNameOf(call: ServerUnaryCall<unknown, unknown>): string {
  const value = call.metadata.get('cache')[0]
  return value === undefined ? '' : String(value)
}

/** The SDK maps NOT_FOUND to CACHE_NOT_FOUND. */
const cacheNotFound = (name: string) => failure(status.NOT_FOUND, `Cache not found: ${name}`)

const keyOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')

export async function startStandin(options: StandinOptions): Promise<Standin> {
  const caches = new Map<string, Map<string, Entry>>()
  for (const name of options.caches ?? []) caches.set(name, new Map())
  const log = options.onRequest ?? (() => {})

  const live = (items: Map<string, Entry>, key: string): Entry | undefined => {
    const entry = items.get(key)
    if (entry && entry.expiresAt <= Date.now()) {
      items.delete(key)
      return undefined
    }

    return entry
  }

  /** A handler that logs the call under `method` with the cache it names; a failure `answer` throws is the reply. */
  const handler =
    <Req, Res>(
      method: string,
      cacheName: (call: ServerUnaryCall<Req, Res>) => string | undefined,
      answer: (call: ServerUnaryCall<Req, Res>) => Res,
    ): Unary<Req, Res> =>
    (call, callback) => {
      log(method, cacheName(call))
      try {
        callback(null, answer(call))
      } catch (error) {
        callback(error as Error)
      }
    }

  /** A data-plane handler, given the items of the call's cache and the call's key. */
  const onItem = <Req extends {cache_key: Uint8Array}, Res>(
    method: string,
    answer: (request: Req, items: Map<string, Entry>, key: string) => Res,
  ) =>
    handler<Req, Res>(method, cacheNameOf, (call) => {
      const name = cacheNameOf(call)
      const items = caches.get(name)
      if (!items) throw cacheNotFound(name)
      return answer(call.request, items, keyOf(call.request.cache_key))
    })

  /** A control-plane handler of the cache the request names. */
  const onCache = <Res>(method: string, answer: (name: string) => Res) =>
    handler<{cache_name: string}, Res>(
      method,
      (call) => call.request.cache_name,
      (call) => answer(call.request.cache_name),
    )

  const ttlOf = (request: {ttl_milliseconds: number}): number => {
    if (!(request.ttl_milliseconds > 0)) throw failure(status.INVALID_ARGUMENT, 'ttl_milliseconds must be above 0')
    return request.ttl_milliseconds
  }

  const Get = onItem('Get', (_request: InstanceType<typeof data._GetRequest>, items, key) => {
    const entry = live(items, key)
    return entry
      ? new data._GetResponse({cache_body: entry.value, result: data.ECacheResult.Hit})
      : new data._GetResponse({result: data.ECacheResult.Miss})
  })

  const Set = onItem('Set', (request: InstanceType<typeof data._SetRequest>, items, key) => {
    items.set(key, {expiresAt: Date.now() + ttlOf(request), value: request.cache_body})
    return new data._SetResponse()
  })

  // Only the condition the tool uses (absent): cache-aside readers store without overwriting a newer page.
  const SetIf = onItem('SetIf', (request: InstanceType<typeof data._SetIfRequest>, items, key) => {
    if (!request.has_absent)
      throw failure(status.UNIMPLEMENTED, 'the stand-in supports SetIf with the absent condition only')
    const ttl = ttlOf(request)
    if (live(items, key)) return new data._SetIfResponse({not_stored: new data._SetIfResponse._NotStored()})
    items.set(key, {expiresAt: Date.now() + ttl, value: request.cache_body})
    return new data._SetIfResponse({stored: new data._SetIfResponse._Stored()})
  })

  const Delete = onItem('Delete', (_request: InstanceType<typeof data._DeleteRequest>, items, key) => {
    items.delete(key)
    return new data._DeleteResponse()
  })

  const CreateCache = onCache('CreateCache', (name) => {
    if (!name) throw failure(status.INVALID_ARGUMENT, 'cache_name is empty')
    if (caches.has(name)) throw failure(status.ALREADY_EXISTS, `Cache already exists: ${name}`)
    caches.set(name, new Map())
    return new controlPlane._CreateCacheResponse()
  })

  const DeleteCache = onCache('DeleteCache', (name) => {
    if (!caches.delete(name)) throw cacheNotFound(name)
    return new controlPlane._DeleteCacheResponse()
  })

  const FlushCache = onCache('FlushCache', (name) => {
    const items = caches.get(name)
    if (!items) throw cacheNotFound(name)
    items.clear()
    return new controlPlane._FlushCacheResponse()
  })

  const ListCaches = handler(
    'ListCaches',
    () => undefined,
    () => {
      const list = [...caches.keys()].sort().map((name) => new controlPlane._Cache({cache_name: name}))
      return new controlPlane._ListCachesResponse({cache: list, next_token: ''})
    },
  )

  const Ping: Unary<
    InstanceType<typeof ping.cache_client._PingRequest>,
    InstanceType<typeof ping.cache_client._PingResponse>
  > = (_call, callback) => {
    callback(null, new ping.cache_client._PingResponse())
  }

  const server = new Server()
  // Methods left out answer UNIMPLEMENTED (grpc-js fills them in).
  const add = (definition: unknown, implementation: object) =>
    server.addService(definition as ServiceDefinition, implementation as unknown as UntypedServiceImplementation)
  add(data.UnimplementedScsService.definition, {Delete, Get, Set, SetIf})
  add(controlPlane.UnimplementedScsControlService.definition, {CreateCache, DeleteCache, FlushCache, ListCaches})
  add(ping.cache_client.UnimplementedPingService.definition, {Ping})

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${options.host ?? '127.0.0.1'}:${options.port}`,
      ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    )
  })

  // Expired items go on read; the sweep keeps memory bounded for keys nobody reads again.
  const sweep = setInterval(() => {
    const now = Date.now()
    for (const items of caches.values()) for (const [key, entry] of items) if (entry.expiresAt <= now) items.delete(key)
  }, 10_000)
  sweep.unref()

  return {
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweep)
        server.tryShutdown(() => resolve())
      }),
    port,
    size: (cacheName) => {
      const items = caches.get(cacheName)
      if (!items) return 0
      for (const key of [...items.keys()]) live(items, key)
      return items.size
    },
  }
}

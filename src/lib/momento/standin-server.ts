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

const keyOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')

export async function startStandin(options: StandinOptions): Promise<Standin> {
  const caches = new Map<string, Map<string, Entry>>()
  for (const name of options.caches ?? []) caches.set(name, new Map())
  const log = options.onRequest ?? (() => {})

  /** The items of the call's cache, or an error the SDK maps to CACHE_NOT_FOUND. */
  const itemsFor = (call: ServerUnaryCall<unknown, unknown>): Map<string, Entry> | Error => {
    const name = cacheNameOf(call)
    const items = caches.get(name)
    return items ?? failure(status.NOT_FOUND, `Cache not found: ${name}`)
  }

  const live = (items: Map<string, Entry>, key: string): Entry | undefined => {
    const entry = items.get(key)
    if (entry && entry.expiresAt <= Date.now()) {
      items.delete(key)
      return undefined
    }

    return entry
  }

  const Get: Unary<InstanceType<typeof data._GetRequest>, InstanceType<typeof data._GetResponse>> = (
    call,
    callback,
  ) => {
    log('Get', cacheNameOf(call))
    const items = itemsFor(call)
    if (items instanceof Error) return callback(items)
    const entry = live(items, keyOf(call.request.cache_key))
    callback(
      null,
      entry
        ? new data._GetResponse({cache_body: entry.value, result: data.ECacheResult.Hit})
        : new data._GetResponse({result: data.ECacheResult.Miss}),
    )
  }

  const Set: Unary<InstanceType<typeof data._SetRequest>, InstanceType<typeof data._SetResponse>> = (
    call,
    callback,
  ) => {
    log('Set', cacheNameOf(call))
    const items = itemsFor(call)
    if (items instanceof Error) return callback(items)
    const ttl = call.request.ttl_milliseconds
    if (!(ttl > 0)) return callback(failure(status.INVALID_ARGUMENT, 'ttl_milliseconds must be above 0'))
    items.set(keyOf(call.request.cache_key), {expiresAt: Date.now() + ttl, value: call.request.cache_body})
    callback(null, new data._SetResponse())
  }

  // Only the condition the tool uses (absent): cache-aside readers store without overwriting a newer page.
  const SetIf: Unary<InstanceType<typeof data._SetIfRequest>, InstanceType<typeof data._SetIfResponse>> = (
    call,
    callback,
  ) => {
    log('SetIf', cacheNameOf(call))
    const items = itemsFor(call)
    if (items instanceof Error) return callback(items)
    if (!call.request.has_absent)
      return callback(failure(status.UNIMPLEMENTED, 'the stand-in supports SetIf with the absent condition only'))
    const ttl = call.request.ttl_milliseconds
    if (!(ttl > 0)) return callback(failure(status.INVALID_ARGUMENT, 'ttl_milliseconds must be above 0'))
    const key = keyOf(call.request.cache_key)
    if (live(items, key))
      return callback(null, new data._SetIfResponse({not_stored: new data._SetIfResponse._NotStored()}))
    items.set(key, {expiresAt: Date.now() + ttl, value: call.request.cache_body})
    callback(null, new data._SetIfResponse({stored: new data._SetIfResponse._Stored()}))
  }

  const Delete: Unary<InstanceType<typeof data._DeleteRequest>, InstanceType<typeof data._DeleteResponse>> = (
    call,
    callback,
  ) => {
    log('Delete', cacheNameOf(call))
    const items = itemsFor(call)
    if (items instanceof Error) return callback(items)
    items.delete(keyOf(call.request.cache_key))
    callback(null, new data._DeleteResponse())
  }

  const CreateCache: Unary<
    InstanceType<typeof controlPlane._CreateCacheRequest>,
    InstanceType<typeof controlPlane._CreateCacheResponse>
  > = (call, callback) => {
    const name = call.request.cache_name
    log('CreateCache', name)
    if (!name) return callback(failure(status.INVALID_ARGUMENT, 'cache_name is empty'))
    if (caches.has(name)) return callback(failure(status.ALREADY_EXISTS, `Cache already exists: ${name}`))
    caches.set(name, new Map())
    callback(null, new controlPlane._CreateCacheResponse())
  }

  const DeleteCache: Unary<
    InstanceType<typeof controlPlane._DeleteCacheRequest>,
    InstanceType<typeof controlPlane._DeleteCacheResponse>
  > = (call, callback) => {
    const name = call.request.cache_name
    log('DeleteCache', name)
    if (!caches.delete(name)) return callback(failure(status.NOT_FOUND, `Cache not found: ${name}`))
    callback(null, new controlPlane._DeleteCacheResponse())
  }

  const FlushCache: Unary<
    InstanceType<typeof controlPlane._FlushCacheRequest>,
    InstanceType<typeof controlPlane._FlushCacheResponse>
  > = (call, callback) => {
    const name = call.request.cache_name
    log('FlushCache', name)
    const items = caches.get(name)
    if (!items) return callback(failure(status.NOT_FOUND, `Cache not found: ${name}`))
    items.clear()
    callback(null, new controlPlane._FlushCacheResponse())
  }

  const ListCaches: Unary<
    InstanceType<typeof controlPlane._ListCachesRequest>,
    InstanceType<typeof controlPlane._ListCachesResponse>
  > = (_call, callback) => {
    log('ListCaches')
    const list = [...caches.keys()].sort().map((name) => new controlPlane._Cache({cache_name: name}))
    callback(null, new controlPlane._ListCachesResponse({cache: list, next_token: ''}))
  }

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

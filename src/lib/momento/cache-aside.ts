import {DEFAULT_PAGE_SIZE} from '../dynamodb/patterns/input.js'
import type {CacheStore} from './client.js'

/** What closes the cache clients this process opened: their gRPC channels would keep it alive after its work. */
const closers = new Set<() => void>()

/** Registers a client's close, to be run by closeCacheClients when the command ends. */
export function closeOnExit(close: () => void): void {
  closers.add(close)
}

/** Closes every cache client the process opened (a command's last step, whatever happened). */
export function closeCacheClients(): void {
  for (const close of closers) close()
  closers.clear()
}

/** A read and where it came from. */
export interface Cached<T> {
  value: T
  fromCache: boolean
}

/** After a cache error the cache is skipped for this long, so a dead cache costs one timeout, not one per read. */
export const CACHE_PAUSE_MS = 30_000

let warned = false
let pausedUntil = 0
let warn: (message: string) => void = (message) => process.stderr.write(`${message}\n`)

/** Where the one cache warning goes (stderr by default); returns the previous sink. Also resets the state. */
export function onCacheWarning(sink: (message: string) => void): (message: string) => void {
  const previous = warn
  warn = sink
  warned = false
  pausedUntil = 0
  return previous
}

/** A cache problem never fails a read: the first one is reported, later ones only pause the cache again. */
export function reportCacheError(error: unknown): void {
  pausedUntil = Date.now() + CACHE_PAUSE_MS
  if (warned) return
  warned = true
  const reason = String((error as Error)?.message ?? error).split('\n')[0]
  warn(`warning: the cache is not answering, reading from the database instead (${reason})`)
}

const cacheUsable = () => Date.now() >= pausedUntil

/**
 * How long a read waits for the cache before it also asks the database. A healthy cache answers in a few
 * milliseconds; waiting out the SDK's timeout instead would make a slow cache slower than no cache at all.
 * CRUDDUR_CACHE_HEDGE_MS changes it (the tests raise it: on a loaded machine a healthy cache can take longer).
 */
export const CACHE_HEDGE_MS = Number(process.env.CRUDDUR_CACHE_HEDGE_MS) || 100

const SLOW = Symbol('slow')

/** `work`'s result if it settles within CACHE_HEDGE_MS, else SLOW (the work goes on, unwatched). */
async function withinHedge<T>(work: Promise<T>): Promise<T | typeof SLOW> {
  let timer: NodeJS.Timeout | undefined
  const hedge = new Promise<typeof SLOW>((resolve) => (timer = setTimeout(resolve, CACHE_HEDGE_MS, SLOW)))
  try {
    return await Promise.race([work, hedge])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Cache-aside: the cached value when there is one, else the loader's, which is then cached. A miss or any
 * cache error falls back to the loader; only the loader's own errors reach the caller. A cache that has not
 * answered within CACHE_HEDGE_MS races the loader: whichever answers first is the read.
 */
export async function readThrough<T>(
  cache: CacheStore | undefined,
  key: string,
  loader: () => Promise<T>,
): Promise<Cached<T>> {
  if (!cache || !cacheUsable()) return {fromCache: false, value: await loader()}
  // A cache error or an unreadable value is a miss (reported once), never a failed read.
  const cached = cache
    .get(key)
    .then((hit) => (hit === undefined ? undefined : (JSON.parse(hit) as T)))
    .catch((error: unknown) => {
      reportCacheError(error)
      return undefined
    })
  const quick = await withinHedge(cached)
  if (quick !== SLOW) {
    if (quick !== undefined) return {fromCache: true, value: quick}
    const value = await loader()
    // Only into an empty key: if the stream refreshed it while we read the database, its page is newer.
    if (cacheUsable()) await store(cache, key, value, {ifAbsent: true})
    return {fromCache: false, value}
  }

  // The cache is slow: the database is asked now. A late hit still wins if it comes first; a late miss
  // waits for the database. Nothing is stored: a cache this slow is better left alone.
  const loading = loader()
  const fromLoader = loading.then((value): Cached<T> => ({fromCache: false, value}))
  const fromCache = cached.then((hit): Cached<T> | Promise<Cached<T>> =>
    hit === undefined ? fromLoader : {fromCache: true, value: hit},
  )
  fromLoader.catch(() => {}) // if the cache wins, a failing loader is nobody's error
  return Promise.race([fromLoader, fromCache])
}

async function store<T>(
  cache: CacheStore,
  key: string,
  value: T,
  options: {ifAbsent?: boolean} = {},
): Promise<boolean> {
  try {
    const text = JSON.stringify(value)
    if (options.ifAbsent) await cache.setIfAbsent(key, text)
    else await cache.set(key, text)
    return true
  } catch (error) {
    reportCacheError(error)
    return false
  }
}

/** Drops a cached value; false when the cache could not be reached. */
export async function invalidate(cache: CacheStore, key: string): Promise<boolean> {
  try {
    await cache.delete(key)
    return true
  } catch (error) {
    reportCacheError(error)
    return false
  }
}

const normalised = (uuid: string) => uuid.trim().toLowerCase()

/** Cache keys of the read patterns. Only first pages are cached: they are what people read most. */
export const cacheKeys = {
  /** Pattern B: a user's conversation list, first page. */
  conversations: (userUuid: string) => `conversations:${normalised(userUuid)}:first-page`,
  /**
   * Pattern A: a conversation's newest messages, first page. Read on a user's behalf it has that user's own
   * key: the entry exists only once the user passed the membership check, and members never change, so a
   * hit needs no check. Without a reader it is the operator's key.
   */
  messages: (messageGroupUuid: string, asUserUuid?: string) =>
    `messages:${normalised(messageGroupUuid)}:first-page${asUserUuid ? `:as:${normalised(asUserUuid)}` : ''}`,
}

/** Only the patterns' default page size is cached: it is what readers and the stream refresh both use. */
export const CACHED_PAGE_SIZE = DEFAULT_PAGE_SIZE

/** A page request as the patterns take it. */
export interface PageRequest {
  limit?: number
  cursor?: string
}

/** Only the first page at the default size is cached; any other page goes straight to the database. */
const isCacheablePage = (page: PageRequest) =>
  !page.cursor && (page.limit === undefined || page.limit === CACHED_PAGE_SIZE)

/**
 * A read pattern's page through the cache: the first page at the default size is read through (cache-aside),
 * any other page goes straight to `load`. The read patterns call this when their table has a cache.
 */
export async function readPageThrough<T>(
  cache: CacheStore,
  key: string,
  page: PageRequest,
  load: () => Promise<T>,
): Promise<Cached<T>> {
  if (!isCacheablePage(page)) return {fromCache: false, value: await load()}
  return readThrough(cache, key, load)
}

/** The first pages a stream handler re-reads after a message, each from the database, at the default size. */
export interface RefreshLoaders {
  listConversations: (userUuid: string) => Promise<unknown>
  /** Read as an operator: who reads does not change the page, only whether they may. */
  getConversation: (messageGroupUuid: string) => Promise<unknown>
}

export interface RefreshResult {
  refreshed: string[]
  failed: string[]
}

/**
 * After a message updates a conversation (Pattern D), rewrite the cached first pages of both participants'
 * conversation lists and of the conversation (the operator's and each participant's key), so the next read
 * is fresh and still a hit. A key whose refresh fails is invalidated instead, so it can only miss, never be
 * stale. Never throws.
 */
export async function refreshAfterMessage(
  cache: CacheStore | undefined,
  message: {messageGroupUuid: string; participantUuids: string[]},
  loaders: RefreshLoaders,
): Promise<RefreshResult> {
  const result: RefreshResult = {failed: [], refreshed: []}
  if (!cache) return result
  const participants = [...new Set(message.participantUuids.map(normalised))]
  const group = message.messageGroupUuid
  const conversation = once(() => loaders.getConversation(group))
  const jobs: Array<[string, () => Promise<unknown>]> = [
    ...participants.map((uuid): [string, () => Promise<unknown>] => [
      cacheKeys.conversations(uuid),
      () => loaders.listConversations(uuid),
    ]),
    ...[undefined, ...participants].map((reader): [string, () => Promise<unknown>] => [
      cacheKeys.messages(group, reader),
      conversation,
    ]),
  ]
  await Promise.all(
    jobs.map(([key, load]) =>
      oneAtATime(key, async () => {
        let stored = false
        try {
          const value = await load()
          stored = cacheUsable() && (await store(cache, key, value))
        } catch {}

        if (!stored) await invalidateWithin(cache, key)
        ;(stored ? result.refreshed : result.failed).push(key)
      }),
    ),
  )
  return result
}

/**
 * Invalidates a key a refresh could not rewrite. While the cache is paused (it failed lately) the wait is cut
 * at CACHE_HEDGE_MS and the delete goes on unwatched: otherwise every message a stream processor applies would
 * wait out the client's timeout on a dead cache, and the rows of every conversation would fall behind.
 */
async function invalidateWithin(cache: CacheStore, key: string): Promise<void> {
  const invalidating = invalidate(cache, key)
  await (cacheUsable() ? invalidating : withinHedge(invalidating))
}

/** The refresh running or queued last for each key. */
const refreshing = new Map<string, Promise<void>>()

/**
 * Refreshes of one key run one after the other. Two at once (two conversations sharing a participant, in
 * one batch) could otherwise store in the wrong order: the one that read first writing last, leaving an
 * older list in the cache until its TTL. Each refresh reads after the one before it has written.
 */
function oneAtATime(key: string, work: () => Promise<void>): Promise<void> {
  const run = (refreshing.get(key) ?? Promise.resolve()).then(work)
  refreshing.set(key, run)
  return run.finally(() => {
    if (refreshing.get(key) === run) refreshing.delete(key)
  })
}

/** A loader shared by several keys runs once. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined
  return () => (promise ??= load())
}

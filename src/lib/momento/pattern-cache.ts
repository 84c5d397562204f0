import {type MessageItem, messageGroupUuidOf} from '../dynamodb/items.js'
import {type ApplyResult, getConversation, listConversations, requireMembers} from '../dynamodb/patterns/index.js'
import type {LocalStackState} from '../stack-state.js'
import {refreshAfterMessage, type RefreshResult, reportCacheError} from './cache-aside.js'
import type {CacheStore} from './client.js'
import {resolveMomentoTarget} from '../targets/momento.js'
import type {MessagesTable} from '../dynamodb/messages-table.js'

/**
 * Whether the read patterns go through the cache: `--cache`/`--no-cache` when given, else when
 * MOMENTO_CACHE_NAME is set (as the notes export it). Off by default, so a plain read is always DynamoDB's.
 */
export function cacheRequested(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return flag ?? Boolean(env.MOMENTO_CACHE_NAME?.trim())
}

/**
 * The cache for a command's reads, or undefined when none is requested. A cache that cannot be set up
 * (no key with --prod, a bad setting) is reported once and reads go to DynamoDB: a cache never fails a read.
 */
export async function openPatternCache(options: {
  flag?: boolean
  prod?: boolean
  localStack: LocalStackState
  env?: NodeJS.ProcessEnv
}): Promise<CacheStore | undefined> {
  const env = options.env ?? process.env
  if (!cacheRequested(options.flag, env)) return undefined
  try {
    const target = resolveMomentoTarget({prod: options.prod}, env, options.localStack)
    const {momentoCacheStore} = await import('./client.js')
    return momentoCacheStore(target, env)
  } catch (error) {
    reportCacheError(error)
    return undefined
  }
}

/** What a write changed, for the caches: a conversation and its participants. */
export interface ConversationChange {
  messageGroupUuid: string
  participantUuids: string[]
}

/**
 * THE refresh after any write that changes a conversation: rewrites (or, failing that, invalidates) the cached
 * first pages of both participants' conversation lists and of the conversation, read from the table. The
 * stream handler (through `refreshAfterApply`) and every write command (create-message, update-message-group,
 * delete-message, delete-conversation, erase-user) call this one function. Never throws.
 */
export async function refreshConversationPages(
  cache: CacheStore,
  table: MessagesTable,
  change: ConversationChange,
): Promise<RefreshResult> {
  let {participantUuids} = change
  // A writer that knows only one participant (a send into a group): the rows name both.
  if (new Set(participantUuids).size < 2) {
    participantUuids = await requireMembers(table, change.messageGroupUuid, participantUuids).then(
      (members) => members.participants.map((p) => p.uuid),
      () => participantUuids,
    )
  }

  // The refreshed pages are read from the table itself, never through a cache, and consistently: a page that
  // misses the write just made would be served for the whole TTL.
  const fromTable = table.readingConsistently()
  return refreshAfterMessage(
    cache,
    {messageGroupUuid: change.messageGroupUuid, participantUuids},
    {
      getConversation: (group) => getConversation(fromTable, group),
      listConversations: (user) => listConversations(fromTable, user),
    },
  )
}

/**
 * The stream handler's `afterApply`: after Pattern D applied a message, refresh the cached first pages of
 * both participants' conversation lists and of the conversation.
 */
export function refreshAfterApply(cache: CacheStore, table: MessagesTable) {
  return async (message: MessageItem, result: Partial<ApplyResult>): Promise<void> => {
    const messageGroupUuid = result.messageGroupUuid ?? messageGroupUuidOf(message)
    // Each conversation row names the other participant, so the two rows name both.
    const participantUuids =
      result.rows?.length === 2
        ? result.rows.map((row) => row.user_uuid)
        : (await requireMembers(table, messageGroupUuid)).participants.map((p) => p.uuid)
    await refreshConversationPages(cache, table, {messageGroupUuid, participantUuids})
  }
}

/**
 * A write command's refresh: the pages of every changed conversation, in the cache the command opened
 * (`--cache`, else MOMENTO_CACHE_NAME). Undefined when no cache is configured.
 */
export async function refreshAfterWrite(
  cache: CacheStore | undefined,
  table: MessagesTable,
  changes: ConversationChange[],
): Promise<RefreshResult | undefined> {
  if (!cache) return undefined
  const total: RefreshResult = {failed: [], refreshed: []}
  for (const change of changes) {
    const result = await refreshConversationPages(cache, table, change)
    total.refreshed.push(...result.refreshed)
    total.failed.push(...result.failed)
  }

  return total
}

/**
 * The Lambda's `afterApply` when MOMENTO_CACHE_NAME is set (else undefined): Momento itself with the key
 * from the environment, or the stand-in at MOMENTO_LOCAL_ENDPOINT. The client is made on the first message.
 */
export function cacheRefresherFromEnvironment(table: MessagesTable, env: NodeJS.ProcessEnv = process.env) {
  if (!cacheRequested(undefined, env)) return undefined
  let refresher: Promise<ReturnType<typeof refreshAfterApply> | undefined> | undefined
  return async (message: MessageItem, result: Partial<ApplyResult>): Promise<void> => {
    refresher ??= openPatternCache({env, localStack: {}, prod: !env.MOMENTO_LOCAL_ENDPOINT}).then(
      (cache) => cache && refreshAfterApply(cache, table),
    )
    await (
      await refresher
    )?.(message, result)
  }
}

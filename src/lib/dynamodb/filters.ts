import type {AttributeValue} from '@aws-sdk/client-dynamodb'

import {CruddurError} from '../errors.js'
import {
  CONVERSATION_MARKER_PREFIX,
  conversationMarkerPk,
  GROUP_PREFIX,
  groupPk,
  MESSAGE_PREFIX,
  messagePk,
} from './items.js'
import {formatKeyTime, type Micros, parseKeyTime} from './key-time.js'
import {requireUuid} from './patterns/input.js'
import {GROUP_INDEX, GROUP_INDEX_PARTITION_KEY} from './schema.js'
import type {RawItem} from './typed-json.js'

export type ItemType = 'all' | 'conversations' | 'markers' | 'messages'

/** What `ddb scan` and `ddb export` select, resolved (a handle already turned into its uuid). */
export interface ItemFilters {
  type?: ItemType
  /** The user's conversation rows (pk GRP#<uuid>), the messages they sent, the markers of their conversations. */
  userUuid?: string
  /** One conversation: its messages, its two rows, its marker. */
  group?: string
  since?: Micros
  until?: Micros
}

/** One request of a read: a Scan, or a Query when it has a key condition. */
export interface ReadRequest {
  IndexName?: string
  KeyConditionExpression?: string
  FilterExpression?: string
  ExpressionAttributeValues?: Record<string, AttributeValue>
}

export interface ReadPlan {
  requests: ReadRequest[]
  /** True for Queries: segments do not apply. */
  query: boolean
  /** The exact test, applied to every item read: server-side filters can be coarser (times of mixed forms). */
  matches: (item: RawItem) => boolean
}

/**
 * Sort keys hold local wall-clock times with offsets up to ±14 h in some forms, so as strings they compare
 * with a time only to within 14 h: the server-side range is widened by that much and the exact test is
 * done on the instant here.
 */
const MAX_OFFSET_MICROS = 14n * 3600n * 1_000_000n
const SECOND_MICROS = 1_000_000n
const wallClockPrefix = (micros: Micros) => formatKeyTime(micros).slice(0, 19)

/** A --since/--until value: any sort-key time form, or a date (midnight UTC); one line naming the flag otherwise. */
export function parseTimeFilter(value: string, flag: string): Micros {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? `${value.trim()}T00:00:00Z` : value.trim()
  const time = parseKeyTime(text)
  if (!time || time.suffix !== undefined)
    throw new CruddurError(
      'INVALID_INPUT',
      `${flag} "${value}" is not a time: pass ISO-8601 like 2026-11-29T11:51:56+00:00 or a date like 2026-11-29.`,
    )
  return time.micros
}

export function requireGroupFilter(value: string): string {
  return requireUuid(value, '--group')
}

const text = (item: RawItem, name: string) => item[name]?.S

/** The item's time: its sort key's, or a marker's created_at. */
export function itemTime(item: RawItem): Micros | undefined {
  const sk = text(item, 'sk')
  const fromKey = sk === undefined ? undefined : parseKeyTime(sk)?.micros
  if (fromKey !== undefined) return fromKey
  const createdAt = text(item, 'created_at')
  return createdAt === undefined ? undefined : parseKeyTime(createdAt)?.micros
}

const prefixOfType: Record<Exclude<ItemType, 'all'>, string> = {
  conversations: GROUP_PREFIX,
  markers: CONVERSATION_MARKER_PREFIX,
  messages: MESSAGE_PREFIX,
}

/** The exact test of every filter on one item. */
export function matchesFilters(item: RawItem, filters: ItemFilters): boolean {
  const pk = text(item, 'pk') ?? ''
  if (filters.type && filters.type !== 'all' && !pk.startsWith(prefixOfType[filters.type])) return false
  if (filters.userUuid) {
    const user = filters.userUuid
    const own =
      pk === groupPk(user) ||
      (pk.startsWith(MESSAGE_PREFIX) && text(item, 'user_uuid') === user) ||
      (pk.startsWith(CONVERSATION_MARKER_PREFIX) &&
        Boolean(item.participant_uuids?.L?.some((value) => value.S === user)))
    if (!own) return false
  }

  if (filters.group) {
    const group = filters.group
    const inGroup =
      pk === messagePk(group) ||
      pk === conversationMarkerPk(group) ||
      (pk.startsWith(GROUP_PREFIX) && text(item, GROUP_INDEX_PARTITION_KEY) === group)
    if (!inGroup) return false
  }

  if (filters.since !== undefined || filters.until !== undefined) {
    const time = itemTime(item)
    if (time === undefined) return false
    if (filters.since !== undefined && time < filters.since) return false
    if (filters.until !== undefined && time > filters.until) return false
  }

  return true
}

/** Expression pieces, numbered placeholders so that clauses combine without clashes. */
class Expression {
  readonly values: Record<string, AttributeValue> = {}
  private next = 0
  value(value: string | AttributeValue): string {
    const name = `:v${this.next++}`
    this.values[name] = typeof value === 'string' ? {S: value} : value
    return name
  }
}

/**
 * How to read what the filters select with the least data crossing the wire: `--group` is three Queries
 * (its messages, its rows through the index, its marker); everything else is one Scan with a
 * FilterExpression. Time bounds are key conditions on Queries and filters on Scans, both coarse (see above).
 */
export function readPlan(filters: ItemFilters): ReadPlan {
  const matches = (item: RawItem) => matchesFilters(item, filters)
  const timed = filters.since !== undefined || filters.until !== undefined
  const low = filters.since === undefined ? '0000-00-00T00:00:00' : wallClockPrefix(filters.since - MAX_OFFSET_MICROS)
  const high =
    filters.until === undefined
      ? '9999-12-31T23:59:59'
      : wallClockPrefix(filters.until + MAX_OFFSET_MICROS + SECOND_MICROS)

  if (filters.group) {
    const group = filters.group
    const type = filters.type ?? 'all'
    const requests: ReadRequest[] = []
    const userFilter = (expression: Expression, clause: (user: string) => string) =>
      filters.userUuid ? clause(expression.value(filters.userUuid)) : undefined
    const keyRange = (expression: Expression) =>
      timed ? ` AND sk BETWEEN ${expression.value(low)} AND ${expression.value(high)}` : ''
    if (type === 'all' || type === 'messages') {
      const expression = new Expression()
      const key = `pk = ${expression.value(messagePk(group))}${keyRange(expression)}`
      requests.push(
        withValues(
          {FilterExpression: userFilter(expression, (user) => `user_uuid = ${user}`), KeyConditionExpression: key},
          expression,
        ),
      )
    }

    if (type === 'all' || type === 'conversations') {
      const expression = new Expression()
      const key = `${GROUP_INDEX_PARTITION_KEY} = ${expression.value(group)}${keyRange(expression)}`
      const filter = filters.userUuid ? `pk = ${expression.value(groupPk(filters.userUuid))}` : undefined
      requests.push(
        withValues({FilterExpression: filter, IndexName: GROUP_INDEX, KeyConditionExpression: key}, expression),
      )
    }

    if (type === 'all' || type === 'markers') {
      const expression = new Expression()
      const key = `pk = ${expression.value(conversationMarkerPk(group))}`
      requests.push(
        withValues(
          {
            FilterExpression: userFilter(expression, (user) => `contains(participant_uuids, ${user})`),
            KeyConditionExpression: key,
          },
          expression,
        ),
      )
    }

    return {matches, query: true, requests}
  }

  const expression = new Expression()
  const clauses: string[] = []
  if (filters.type && filters.type !== 'all')
    clauses.push(`begins_with(pk, ${expression.value(prefixOfType[filters.type])})`)
  if (filters.userUuid) {
    const user = expression.value(filters.userUuid)
    clauses.push(
      `(pk = ${expression.value(groupPk(filters.userUuid))} OR (begins_with(pk, ` +
        `${expression.value(MESSAGE_PREFIX)}) AND user_uuid = ${user}) OR (begins_with(pk, ` +
        `${expression.value(CONVERSATION_MARKER_PREFIX)}) AND contains(participant_uuids, ` +
        `${user})))`,
    )
  }

  // Markers keep their time in created_at, not in the key.
  if (timed)
    clauses.push(
      `((sk BETWEEN ${expression.value(low)} AND ${expression.value(high)}) OR begins_with(pk, ` +
        `${expression.value(CONVERSATION_MARKER_PREFIX)}))`,
    )
  return {
    matches,
    query: false,
    requests: [withValues({FilterExpression: clauses.join(' AND ') || undefined}, expression)],
  }
}

function withValues(request: ReadRequest, expression: Expression): ReadRequest {
  const out: ReadRequest = {}
  for (const [name, value] of Object.entries(request))
    if (value !== undefined) (out as Record<string, unknown>)[name] = value
  if (Object.keys(expression.values).length > 0) out.ExpressionAttributeValues = expression.values
  return out
}

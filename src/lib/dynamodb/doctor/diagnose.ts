import {type TableDescription} from '@aws-sdk/client-dynamodb'

import {isDeletedMessage, isMessageItem, type MessageItem, messageGroupUuidOf, type Participant} from '../items.js'
import {parseKeyTime} from '../key-time.js'
import {type ConversationRowItem, ownerUuidOf} from '../patterns/conversation-rows.js'
import {lastMessagesByKey, newestMessage} from '../patterns/update-message-group.js'
import {scanItems} from '../scan.js'
import {GROUP_INDEX} from '../schema.js'
import {describeTable} from '../table-admin.js'
import {type Finding} from './findings.js'
import {checkShape, type ShapeProblem} from './shape.js'
import type {MessagesTable} from '../messages-table.js'

export interface DoctorProgress {
  /** A phase starts: `total` when it is known. */
  phase(name: string, total?: number): void
  tick(count?: number): void
}

export interface DiagnoseOptions {
  deep?: boolean
  /** Parallel scan segments (index and table). */
  segments?: number
  /** Newest-message Queries in flight at once. */
  concurrency?: number
  progress?: DoctorProgress
}

/** What a repair needs to know about the table beyond the findings, kept per conversation (never per message). */
export interface Diagnosis {
  table: string
  description: TableDescription
  shape: ShapeProblem[]
  findings: Finding[]
  conversations: number
  /** Requests sent while diagnosing (Scan pages and Queries). */
  requests: number
  /** Every user each conversation's rows name: where a repair reads the rows from, consistently. */
  groupUsers: Map<string, string[]>
  /** Conversations whose rows need repairing. */
  rowRepairs: Set<string>
  /** Conversations with rows and no messages. */
  emptyConversations: Set<string>
  /** Conversations with messages and no rows, with the senders seen (--deep). */
  orphans: Map<string, Participant[]>
  /** Pairs (`<uuid>:<uuid>`, sorted) with several conversations. */
  splitPairs: Map<string, string[]>
  /** Every user named by a row or a sender, for rebuilding rows. */
  directory: Map<string, Participant>
  /** Messages whose keys are not canonical (--deep). */
  nonCanonicalMessages: Array<{pk: string; sk: string}>
  /** Rows and (--deep) messages deleted without keeping `message` (tombstones of earlier versions). */
  textLessTombstones: Array<{pk: string; sk: string}>
}

const ROW_ATTRIBUTES = [
  'pk',
  'sk',
  'message_group_uuid',
  'message',
  'deleted_at',
  'last_message_sk',
  'user_uuid',
  'user_handle',
  'user_display_name',
]
const MESSAGE_ATTRIBUTES = ['pk', 'sk', 'message', 'deleted_at', 'user_uuid', 'user_handle', 'user_display_name']

/** Who an item names: a row's other participant, a message's sender. */
export const participantOf = (item: {
  user_uuid: string
  user_handle?: string
  user_display_name?: string
}): Participant => ({
  displayName: item.user_display_name ?? item.user_handle ?? '',
  handle: item.user_handle ?? '',
  uuid: item.user_uuid,
})

/** Runs `work` over every item with at most `concurrency` in flight. */
export async function forEachConcurrently<T>(
  items: Iterable<T>,
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]()
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await work(next.value)
  }

  await Promise.all(Array.from({length: concurrency}, worker))
}

/** The conversation's last message by key. */
export async function lastMessageByKey(
  table: MessagesTable,
  messageGroupUuid: string,
  consistent = false,
): Promise<MessageItem | undefined> {
  const [last] = await lastMessagesByKey(table, messageGroupUuid, {consistent, limit: 1})
  return last
}

/**
 * Deleted, and without the `message` the app reads on every item: how versions before DELETED_MESSAGE_TEXT left
 * tombstones and the rows showing them.
 */
export const isTextLessTombstone = (item: object & {deleted_at?: unknown; message?: unknown}) =>
  isDeletedMessage(item) && typeof item.message !== 'string'

/** A row shows a message's text, or that it is deleted (whatever text the tombstone kept). */
const showsMessage = (row: ConversationRowItem, message: MessageItem) =>
  isDeletedMessage(row) ? isDeletedMessage(message) : !isDeletedMessage(message) && row.message === message.message

/**
 * A row shows the newest message: its text (or its deletion), its exact key in `last_message_sk`, and a time
 * no earlier (a row's key may sit a microsecond or so later, when the owner's other conversation took the exact
 * instant).
 */
export function rowShowsNewest(row: ConversationRowItem, newest: MessageItem): boolean {
  const rowTime = parseKeyTime(row.sk)
  const newestTime = parseKeyTime(newest.sk)?.micros
  return (
    row.last_message_sk === newest.sk &&
    showsMessage(row, newest) &&
    rowTime !== undefined &&
    (newestTime === undefined || rowTime.micros >= newestTime)
  )
}

export const rowIsCurrent = (row: ConversationRowItem, newest: MessageItem) =>
  rowShowsNewest(row, newest) && Boolean(parseKeyTime(row.sk)?.canonical)

/** The findings of one conversation's rows against its newest message. */
export function checkConversation(
  messageGroupUuid: string,
  rows: ConversationRowItem[],
  newest: MessageItem | undefined,
): Finding[] {
  const findings: Finding[] = []
  const owners = new Map<string, number>()
  for (const row of rows) owners.set(ownerUuidOf(row), (owners.get(ownerUuidOf(row)) ?? 0) + 1)
  const participants = new Set([...owners.keys(), ...rows.map((row) => row.user_uuid)])
  if (!newest) {
    if (rows.length === 0) return []
    return [
      {
        detail: `${rows.length} row(s) of a conversation without messages`,
        id: messageGroupUuid,
        kind: 'empty-conversation',
      },
    ]
  }

  for (const [owner, count] of owners) {
    if (count > 1)
      findings.push({detail: `user ${owner} has ${count} rows for it`, id: messageGroupUuid, kind: 'duplicate-rows'})
  }

  if (participants.size > 2) {
    findings.push({
      detail: `its rows name ${participants.size} users, not a pair`,
      id: messageGroupUuid,
      kind: 'duplicate-rows',
    })
  } else {
    for (const participant of participants) {
      if (!owners.has(participant))
        findings.push({detail: `user ${participant} has no row for it`, id: messageGroupUuid, kind: 'missing-row'})
    }
  }

  for (const row of rows) {
    if (!rowShowsNewest(row, newest)) {
      const why =
        row.last_message_sk === undefined
          ? 'has no last_message_sk'
          : row.last_message_sk === newest.sk
            ? 'shows other text'
            : `shows ${row.last_message_sk}`
      findings.push({
        detail: `the row of ${ownerUuidOf(row)} (${row.sk}) ${why}, the newest message is ${newest.sk}`,
        id: messageGroupUuid,
        kind: 'stale-row',
      })
    }

    if (!parseKeyTime(row.sk)?.canonical)
      findings.push({
        detail: `the row of ${ownerUuidOf(row)} has key ${row.sk}`,
        id: messageGroupUuid,
        kind: 'row-key-layout',
      })
  }

  return findings
}

const pairOf = (rows: ConversationRowItem[]): string | undefined => {
  const users = [...new Set(rows.flatMap((row) => [ownerUuidOf(row), row.user_uuid]))].sort()
  return users.length === 2 ? users.join(':') : undefined
}

/**
 * Reads the whole table's health. Rows come from the sparse index (parallel segments; a table without it is
 * read with a filter instead), then one `Limit 1` Query per conversation finds its newest message; `deep`
 * scans the table itself for keys and for messages no row points at. Memory holds the conversations' rows,
 * never the messages.
 */
export async function diagnose(table: MessagesTable, options: DiagnoseOptions = {}): Promise<Diagnosis> {
  const segments = options.segments ?? 8
  const progress = options.progress
  const description = await describeTable(table.client, table.name)
  const shape = checkShape(description)
  const diagnosis: Diagnosis = {
    conversations: 0,
    description,
    directory: new Map(),
    emptyConversations: new Set(),
    findings: shape.map((problem) => ({detail: problem.detail, id: table.name, kind: 'shape'})),
    nonCanonicalMessages: [],
    textLessTombstones: [],
    orphans: new Map(),
    requests: 1,
    groupUsers: new Map(),
    rowRepairs: new Set(),
    shape,
    splitPairs: new Map(),
    table: table.name,
  }
  if (shape.some((problem) => problem.kind === 'table-keys')) return diagnosis

  const hasIndex = description.GlobalSecondaryIndexes?.some(
    (index) => index.IndexName === GROUP_INDEX && index.IndexStatus === 'ACTIVE',
  )
  const groups = new Map<string, ConversationRowItem[]>()
  progress?.phase(hasIndex ? 'reading conversation rows (index)' : 'reading conversation rows (table: no index)')
  const onPage = () => diagnosis.requests++
  const rowPages = scanItems(table, {
    attributes: ROW_ATTRIBUTES,
    onPage,
    segments,
    ...(hasIndex ? {indexName: GROUP_INDEX} : {type: 'conversations'}),
  })
  for await (const item of rowPages) {
    const row = item as unknown as ConversationRowItem
    if (typeof row.message_group_uuid !== 'string') continue
    if (isTextLessTombstone(row)) recordTextLessTombstone(diagnosis, row)
    const rows = groups.get(row.message_group_uuid) ?? []
    rows.push(row)
    groups.set(row.message_group_uuid, rows)
    if (row.user_uuid) diagnosis.directory.set(row.user_uuid, participantOf(row))
    progress?.tick()
  }

  diagnosis.conversations = groups.size
  const pairs = new Map<string, string[]>()
  progress?.phase('checking conversations', groups.size)
  await forEachConcurrently(groups, options.concurrency ?? 32, async ([group, rows]) => {
    let newest = await lastMessageByKey(table, group)
    diagnosis.requests++
    // Key order is time order among canonical keys only: where this conversation shows others, read by instant.
    if (
      newest &&
      [newest.sk, ...rows.flatMap((row) => [row.sk, row.last_message_sk ?? ''])].some(
        (sk) => !parseKeyTime(sk)?.canonical,
      )
    ) {
      newest = await newestMessage(table, group)
      diagnosis.requests += 2
    }

    const found = checkConversation(group, rows, newest)
    diagnosis.findings.push(...found)
    diagnosis.groupUsers.set(group, [...new Set(rows.flatMap((row) => [ownerUuidOf(row), row.user_uuid]))])
    if (found.some((finding) => finding.kind === 'empty-conversation')) diagnosis.emptyConversations.add(group)
    else if (found.length > 0) diagnosis.rowRepairs.add(group)
    const pair = newest && pairOf(rows)
    if (pair) pairs.set(pair, [...(pairs.get(pair) ?? []), group])
    progress?.tick()
  })

  for (const [pair, pairGroups] of pairs) {
    if (pairGroups.length < 2) continue
    diagnosis.splitPairs.set(pair, pairGroups.sort())
    diagnosis.findings.push({
      detail: `users ${pair.replace(':', ' and ')} have ${pairGroups.length} conversations: ${pairGroups.join(', ')}`,
      id: pair,
      kind: 'split-pair',
    })
  }

  if (options.deep) await scanMessages(table, groups, diagnosis, segments, progress)
  return diagnosis
}

function recordTextLessTombstone(diagnosis: Diagnosis, {pk, sk}: {pk: string; sk: string}) {
  diagnosis.textLessTombstones.push({pk, sk})
  diagnosis.findings.push({detail: 'deleted, without `message`', id: `${pk} ${sk}`, kind: 'text-less-tombstone'})
}

/**
 * --deep: every message's key and text-less tombstone, and the conversations that have messages but no rows.
 * Flat: nothing per message is kept.
 */
async function scanMessages(
  table: MessagesTable,
  groups: Map<string, unknown>,
  diagnosis: Diagnosis,
  segments: number,
  progress?: DoctorProgress,
) {
  progress?.phase('scanning the table (--deep)', diagnosis.description.ItemCount || undefined)
  const onPage = () => diagnosis.requests++
  for await (const item of scanItems(table, {attributes: MESSAGE_ATTRIBUTES, onPage, segments})) {
    progress?.tick()
    const {pk, sk} = item as {pk: string; sk: string}
    if (!isMessageItem({pk})) continue
    if (isTextLessTombstone(item)) recordTextLessTombstone(diagnosis, {pk, sk})
    if (!parseKeyTime(sk)?.canonical) {
      diagnosis.nonCanonicalMessages.push({pk, sk})
      diagnosis.findings.push({detail: `message key ${sk}`, id: `${pk} ${sk}`, kind: 'non-canonical-key'})
    }

    const group = messageGroupUuidOf({pk})
    const sender = participantOf(item as {user_uuid: string})
    if (sender.uuid) diagnosis.directory.set(sender.uuid, sender)
    if (groups.has(group)) continue
    const senders = diagnosis.orphans.get(group) ?? []
    if (sender.uuid && !senders.some((known) => known.uuid === sender.uuid) && senders.length < 3) senders.push(sender)
    diagnosis.orphans.set(group, senders)
  }

  for (const [group, senders] of diagnosis.orphans) {
    diagnosis.findings.push({
      detail: `messages from ${senders.map((s) => `@${s.handle}`).join(', ') || 'unknown senders'} and no rows`,
      id: group,
      kind: 'orphan-messages',
    })
  }
}

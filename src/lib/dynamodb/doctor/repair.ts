import {
  DeleteCommand,
  GetCommand,
  paginateQuery,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'

import {
  conversationMarkerKey,
  DELETED_MESSAGE_TEXT,
  groupPk,
  isDeletedMessage,
  type MessageItem,
  messageGroupUuidOf,
  messagePk,
  type Participant,
} from '../items.js'
import {formatKeyTime, keyMicros, parseKeyTime} from '../key-time.js'
import {type ConversationRowItem, ownerUuidOf, queryGroupRowsConsistently} from '../patterns/conversation-rows.js'
import {conversationUuidFor} from '../patterns/conversation-uuid.js'
import {conversationMarker} from '../patterns/create-message.js'
import {newestMessage, reconcileConversationRows} from '../patterns/update-message-group.js'
import {
  checkConversation,
  type Diagnosis,
  type DoctorProgress,
  forEachConcurrently,
  isTextLessTombstone,
  participantOf,
  rowIsCurrent,
} from './diagnose.js'
import {type FindingKind} from './findings.js'
import {fixShape} from './shape.js'
import {CruddurError} from '../../errors.js'
import {backoff} from '../../sleep.js'
import type {MessagesTable} from '../messages-table.js'

type Key = {pk: string; sk: string}
type Item = Record<string, unknown> & Key

/** Rounds of read-decide-write before a repair gives up on an item other writers keep changing. */
const ATTEMPTS = 8

/** Which of a cancelled transaction's items failed their condition (by position), or undefined for another error. */
function failedConditions(error: unknown): number[] | undefined {
  const {CancellationReasons: reasons, name} = error as {name?: string; CancellationReasons?: Array<{Code?: string}>}
  if (name !== 'TransactionCanceledException') return undefined
  if ((reasons ?? []).some((reason) => reason.Code === 'TransactionConflict' || reason.Code === 'ThrottlingError'))
    return []
  return (reasons ?? []).flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : []))
}

const isConditionFailed = (error: unknown) => (error as {name?: string}).name === 'ConditionalCheckFailedException'

async function getItem(table: MessagesTable, key: Key): Promise<Item | undefined> {
  const output = await table.doc.send(
    new GetCommand({ConsistentRead: true, Key: {pk: key.pk, sk: key.sk}, TableName: table.name}),
  )
  return output.Item as Item | undefined
}

/** The condition that an item is still exactly what was read: its identity and the attributes a repair rewrites. */
function unchanged(item: Item): {
  ConditionExpression: string
  ExpressionAttributeNames: Record<string, string>
  ExpressionAttributeValues?: Record<string, unknown>
} {
  const names: Record<string, string> = {'#pk': 'pk'}
  const values: Record<string, unknown> = {}
  const parts = ['attribute_exists(#pk)']
  for (const attribute of ['message_uuid', 'message_group_uuid', 'message', 'last_message_sk']) {
    const name = `#${attribute}`
    names[name] = attribute
    if (item[attribute] === undefined) parts.push(`attribute_not_exists(${name})`)
    else {
      values[`:${attribute}`] = item[attribute]
      parts.push(`${name} = :${attribute}`)
    }
  }

  return {
    ConditionExpression: parts.join(' AND '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 ? {ExpressionAttributeValues: values} : {}),
  }
}

/** Whether the item at a key is the same message or the same conversation's row as `item` (a copy made before). */
const sameThing = (a: Item, b: Item) =>
  (a.message_uuid !== undefined && a.message_uuid === b.message_uuid) ||
  (a.message_group_uuid !== undefined && a.message_group_uuid === b.message_group_uuid && a.pk === b.pk)

/**
 * Moves an item to another key: Put of the new key (only if free) and Delete of the old one (only if unchanged)
 * in one transaction, so a crash never leaves it twice or nowhere. A key taken by something else moves on by
 * one microsecond (as the CLI's writes do); a key holding a copy of the item (an earlier, interrupted run) only
 * needs the old one deleted. Returns the key it ended at, or undefined when the old item changed (re-read it).
 */
async function moveItem(table: MessagesTable, item: Item, to: Item): Promise<string | undefined> {
  let sk = to.sk
  for (let bump = 0; bump < 1000; bump++) {
    const there = await getItem(table, {pk: to.pk, sk})
    if (there && !sameThing(there, item)) {
      sk = formatKeyTime(keyMicros(sk) + 1n)
      continue
    }

    try {
      if (there)
        await table.doc.send(
          new DeleteCommand({Key: {pk: item.pk, sk: item.sk}, TableName: table.name, ...unchanged(item)}),
        )
      else {
        await table.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {Put: {ConditionExpression: 'attribute_not_exists(pk)', Item: {...to, sk}, TableName: table.name}},
              {Delete: {Key: {pk: item.pk, sk: item.sk}, TableName: table.name, ...unchanged(item)}},
            ],
          }),
        )
      }

      return sk
    } catch (error) {
      if (isConditionFailed(error)) return undefined
      const failed = failedConditions(error)
      if (!failed) throw error
      if (failed.includes(1)) return undefined
      // The new key was taken meanwhile, or a conflict: look at it again.
    }
  }

  // Only writers racing it key for key could take a thousand keys in a row.
  throw new CruddurError('CONFLICT', `No free key after ${to.sk} in ${to.pk} (the conversation is being written to)`, {
    actions: ['repair again once the writes settle'],
  })
}

/** Rewrites a message under its canonical key (same uuid and content). False when it cannot be read as a time. */
export async function rewriteMessageKey(table: MessagesTable, key: Key): Promise<boolean> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt)
    const item = await getItem(table, key)
    if (!item) return true // already moved (an earlier run, or another writer)
    const time = parseKeyTime(item.sk)
    if (!time) return false
    if (time.canonical) return true
    if (await moveItem(table, item, {...item, sk: formatKeyTime(time.micros)})) return true
  }

  return false
}

/**
 * Gives a tombstone (or a row showing one) written without `message` the deleted text, if it is still as read.
 * False when other writers kept changing it.
 */
export async function restoreTombstoneText(table: MessagesTable, key: Key): Promise<boolean> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt)
    const item = await getItem(table, key)
    if (!item || !isTextLessTombstone(item)) return true // gone or repaired (an earlier run, or another writer)
    const {ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues} = unchanged(item)
    try {
      await table.doc.send(
        new UpdateCommand({
          ConditionExpression: `${ConditionExpression} AND #deleted_at = :deleted_at`,
          ExpressionAttributeNames: {...ExpressionAttributeNames, '#deleted_at': 'deleted_at'},
          ExpressionAttributeValues: {
            ...ExpressionAttributeValues,
            ':deleted_at': item.deleted_at,
            ':deleted_text': DELETED_MESSAGE_TEXT,
          },
          Key: {pk: item.pk, sk: item.sk},
          TableName: table.name,
          UpdateExpression: 'SET #message = :deleted_text',
        }),
      )
      return true
    } catch (error) {
      if (!isConditionFailed(error)) throw error
    }
  }

  return false
}

/**
 * The row an owner should have for a conversation: at its newest message, holding the other participant;
 * deleted, with the deleted text, when that message is.
 */
function rowAt(messageGroupUuid: string, owner: string, other: Participant, newest: MessageItem): Item {
  return {
    ...(isDeletedMessage(newest) ? {deleted_at: newest.deleted_at} : {}),
    last_message_sk: newest.sk,
    message: isDeletedMessage(newest) ? DELETED_MESSAGE_TEXT : newest.message,
    message_group_uuid: messageGroupUuid,
    pk: groupPk(owner),
    sk: formatKeyTime(keyMicros(newest.sk)),
    user_display_name: other.displayName,
    user_handle: other.handle,
    user_uuid: other.uuid,
  }
}

/**
 * Creates a participant's missing row (only if its key is free: an owner's other conversations are never overwritten).
 */
async function createRow(table: MessagesTable, row: Item): Promise<void> {
  for (let sk = row.sk; ; sk = formatKeyTime(keyMicros(sk) + 1n)) {
    try {
      await table.doc.send(
        new PutCommand({ConditionExpression: 'attribute_not_exists(pk)', Item: {...row, sk}, TableName: table.name}),
      )
      return
    } catch (error) {
      if (!isConditionFailed(error)) throw error
      const there = await getItem(table, {pk: row.pk, sk})
      if (there && sameThing(there, row)) return
    }
  }
}

async function deleteRow(table: MessagesTable, row: ConversationRowItem): Promise<void> {
  try {
    await table.doc.send(
      new DeleteCommand({Key: {pk: row.pk, sk: row.sk}, TableName: table.name, ...unchanged(row as unknown as Item)}),
    )
  } catch (error) {
    // Changed since read: the next round reads it again.
    if (!isConditionFailed(error)) throw error
  }
}

/** A participant's name as found in rows or messages; the uuid alone when nothing names them. */
const participant = (directory: Map<string, Participant>, uuid: string): Participant =>
  directory.get(uuid) ?? {displayName: uuid, handle: uuid, uuid}

/**
 * Brings one conversation's rows to exactly one per participant at its newest message, in the canonical key
 * layout: missing rows created, several rows for one owner reconciled by Pattern D, every row moved to the
 * newest message's text, time and key; a conversation without messages loses its rows. Reads the rows from the
 * table (consistently) each round, and ends when a check of what it reads finds nothing.
 */
export async function repairConversation(
  table: MessagesTable,
  group: string,
  users: string[],
  directory: Map<string, Participant>,
): Promise<boolean> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt)
    // Rows first, then the newest message, consistently: a conversation started in between has its message
    // written with (or, by the app, beside) its rows, so rows seen never meet a stale "no messages".
    const rows = await queryGroupRowsConsistently(table, group, users)
    const newest = await newestMessage(table, group, {consistent: true})
    // Its sender may be named by no row left (their counterpart's row is the one missing): a row made for that
    // counterpart then shows their handle and name, not their uuid.
    if (newest?.user_handle && !directory.has(newest.user_uuid)) directory.set(newest.user_uuid, participantOf(newest))
    if (newest && rows.length === 0) {
      // Its rows went (a removal racing a send, or an earlier round): the users they named get them back.
      if (new Set(users).size !== 2) return false
      const [a, b] = users
      await createRow(table, rowAt(group, a, participant(directory, b), newest))
      await createRow(table, rowAt(group, b, participant(directory, a), newest))
      continue
    }

    if (checkConversation(group, rows, newest).length === 0) return true
    if (!newest) {
      // The app writes a new conversation's message and rows in one batch, in no set order: look once more.
      await backoff(1)
      if (await newestMessage(table, group, {consistent: true})) continue
      for (const row of rows) await deleteRow(table, row)
      continue
    }

    const participants = [...new Set(rows.flatMap((row) => [ownerUuidOf(row), row.user_uuid]))]
    if (participants.length !== 2) return false
    for (const owner of participants) {
      if (rows.some((row) => ownerUuidOf(row) === owner)) continue
      const other = participants.find((uuid) => uuid !== owner)!
      await createRow(table, rowAt(group, owner, participant(directory, other), newest))
    }

    const owners = rows.map(ownerUuidOf)
    if (new Set(owners).size < owners.length) {
      // Several rows for one owner: Pattern D keeps one per owner at the newest message and deletes the extras.
      await reconcileConversationRows(table, group).catch(() => {})
      continue
    }

    for (const row of rows) {
      const wanted = {
        ...row,
        ...rowAt(group, ownerUuidOf(row), participant(directory, row.user_uuid), newest),
        user_display_name: row.user_display_name,
        user_handle: row.user_handle,
      }
      if (!isDeletedMessage(newest)) delete wanted.deleted_at
      if (rowIsCurrent(row, newest)) continue
      if (wanted.sk === row.sk) {
        await table.doc
          .send(new PutCommand({Item: wanted, TableName: table.name, ...unchanged(row as unknown as Item)}))
          .catch((error) => {
            if (!isConditionFailed(error)) throw error
          })
      } else await moveItem(table, row as unknown as Item, wanted)
    }
  }

  return false
}

/** A conversation with messages and no rows gets both rows, when its messages name both participants. */
async function adoptOrphan(
  table: MessagesTable,
  group: string,
  senders: Participant[],
  directory: Map<string, Participant>,
): Promise<boolean> {
  if (senders.length !== 2) return false
  // repairConversation gives a conversation with messages and no rows both rows, named as its senders.
  for (const sender of senders) if (!directory.has(sender.uuid)) directory.set(sender.uuid, sender)
  return repairConversation(
    table,
    group,
    senders.map((sender) => sender.uuid),
    directory,
  )
}

/**
 * Folds a pair's conversations into the one with the pair's derived id. Order makes it resumable: the
 * target's rows first (so the pair stays visible as split until the end), then each message moved (copy and
 * delete in one transaction, same uuid and time), then the old rows, then the target's rows brought up to date.
 */
async function mergePair(
  table: MessagesTable,
  pair: string,
  groups: string[],
  directory: Map<string, Participant>,
): Promise<boolean> {
  const [a, b] = pair.split(':')
  const target = conversationUuidFor(a, b)
  const sources = groups.filter((group) => group !== target)
  await table.doc
    .send(
      new PutCommand({
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: conversationMarker(target, a, b, formatKeyTime(BigInt(Date.now()) * 1000n)),
        TableName: table.name,
      }),
    )
    .catch((error) => {
      if (!isConditionFailed(error)) throw error
    })
  const newestOfAll = (await Promise.all(groups.map((group) => newestMessage(table, group)))).filter(
    (m): m is MessageItem => Boolean(m),
  )
  newestOfAll.sort((x, y) => (keyMicros(x.sk) < keyMicros(y.sk) ? 1 : -1))
  const targetRows = await queryGroupRowsConsistently(table, target, [a, b])
  if (newestOfAll[0]) {
    const newest = {...newestOfAll[0], sk: formatKeyTime(keyMicros(newestOfAll[0].sk))}
    for (const [owner, other] of [
      [a, b],
      [b, a],
    ]) {
      if (!targetRows.some((row) => ownerUuidOf(row) === owner))
        await createRow(table, rowAt(target, owner, participant(directory, other), newest))
    }
  }

  for (const source of sources) {
    const pages = paginateQuery(
      {client: table.doc, pageSize: 100},
      {
        ConsistentRead: true,
        ExpressionAttributeValues: {':pk': messagePk(source)},
        KeyConditionExpression: 'pk = :pk',
        TableName: table.name,
      },
    )
    for await (const page of pages) {
      for (const message of (page.Items ?? []) as Item[]) {
        const time = parseKeyTime(message.sk)
        if (!time) return false
        if (!(await moveItem(table, message, {...message, pk: messagePk(target), sk: formatKeyTime(time.micros)})))
          return false
      }
    }

    if (await newestMessage(table, source)) return false
    for (const row of await queryGroupRowsConsistently(table, source, [a, b])) await deleteRow(table, row)
    await table.doc.send(new DeleteCommand({Key: conversationMarkerKey(source), TableName: table.name}))
  }

  return repairConversation(table, target, [a, b], directory)
}

export interface RepairOptions {
  mergeConversations?: boolean
  concurrency?: number
  progress?: DoctorProgress
  onWait?: (what: string) => void
}

/**
 * Repairs what `diagnose` found, marking each finding fixed or not: the shape first (the rest needs the
 * index), then tombstones' texts, message keys (rows then point at the new keys), rows, orphans and, if asked,
 * split pairs.
 * Each step reads before it writes and writes conditionally, so running it again (after a crash, or on a
 * healthy table) only finishes what is left. Returns what changed in the table's shape.
 */
export async function repair(
  table: MessagesTable,
  diagnosis: Diagnosis,
  options: RepairOptions = {},
): Promise<string[]> {
  const {directory} = diagnosis
  const concurrency = options.concurrency ?? 16
  const progress = options.progress
  const fixed = new Map<string, boolean>()
  const mark = (kind: FindingKind, id: string, ok: boolean) => fixed.set(`${kind} ${id}`, ok)

  const unfixableShape = diagnosis.shape.some((problem) => !problem.fixable)
  const changes =
    diagnosis.shape.length > 0 && !unfixableShape
      ? await fixShape(table.client, table.name, diagnosis.shape, options.onWait)
      : []
  mark('shape', table.name, !unfixableShape)
  if (!unfixableShape) {
    // Before the keys are rewritten: a moved message would leave its text-less tombstone's finding behind.
    progress?.phase('restoring tombstone texts', diagnosis.textLessTombstones.length)
    await forEachConcurrently(diagnosis.textLessTombstones, concurrency, async (key) => {
      mark('text-less-tombstone', `${key.pk} ${key.sk}`, await restoreTombstoneText(table, key))
      progress?.tick()
    })

    const repairGroups = new Set(diagnosis.rowRepairs)
    progress?.phase('rewriting message keys', diagnosis.nonCanonicalMessages.length)
    await forEachConcurrently(diagnosis.nonCanonicalMessages, concurrency, async (key) => {
      mark('non-canonical-key', `${key.pk} ${key.sk}`, await rewriteMessageKey(table, key))
      const group = messageGroupUuidOf(key)
      if (diagnosis.groupUsers.has(group)) repairGroups.add(group)
      progress?.tick()
    })

    const groups = [...diagnosis.emptyConversations, ...repairGroups]
    progress?.phase('repairing conversation rows', groups.length)
    await forEachConcurrently(groups, concurrency, async (group) => {
      const ok = await repairConversation(table, group, diagnosis.groupUsers.get(group) ?? [], directory)
      for (const kind of [
        'empty-conversation',
        'duplicate-rows',
        'missing-row',
        'stale-row',
        'row-key-layout',
      ] as const)
        mark(kind, group, ok)
      progress?.tick()
    })

    for (const [group, senders] of diagnosis.orphans)
      mark('orphan-messages', group, await adoptOrphan(table, group, senders, directory))
    if (options.mergeConversations) {
      progress?.phase('merging conversations', diagnosis.splitPairs.size)
      for (const [pair, pairGroups] of diagnosis.splitPairs) {
        mark('split-pair', pair, await mergePair(table, pair, pairGroups, directory))
        progress?.tick()
      }
    }
  }

  for (const finding of diagnosis.findings) finding.fixed = fixed.get(`${finding.kind} ${finding.id}`) ?? false
  return changes
}

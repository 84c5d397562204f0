import {QueryCommand as LowLevelQueryCommand} from '@aws-sdk/client-dynamodb'
import {paginateQuery, QueryCommand, TransactWriteCommand, type TransactWriteCommandInput} from '@aws-sdk/lib-dynamodb'
import {unmarshall} from '@aws-sdk/util-dynamodb'

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number]

import {CruddurError} from '../../errors.js'
import {
  DELETED_MESSAGE_TEXT,
  isDeletedMessage,
  isMessageItem,
  type MessageItem,
  messageGroupUuidOf,
  messagePk,
} from '../items.js'
import {compareKeys, formatKeyTime, keyMicros, type Micros, parseKeyTime} from '../key-time.js'
import {
  type ConversationRowItem,
  isNewerThanRow,
  lastMessageSkOf,
  membersOf,
  ownerUuidOf,
  queryGroupRows,
  queryGroupRowsConsistently,
  requireMembers,
} from './conversation-rows.js'
import {requireUuid} from './input.js'
import {type Message, messageFromItem} from './views.js'
import {backoff, MAX_RACE_ATTEMPTS} from '../../sleep.js'
import type {MessagesTable} from '../messages-table.js'

export interface ApplyResult {
  messageGroupUuid: string
  /** How many of the two rows moved to this message (0 when both already held it or a newer one). */
  updated: number
  /** Extra rows of an owner that were deleted (the app's Lambda can leave two rows per owner). */
  removed: number
  /** Both rows as they are now, one per participant. */
  rows: ConversationRowItem[]
}

/** Lost races after which the rows are read from the table: the index may still show rows already moved. */
const INDEX_ATTEMPTS = 3
/**
 * Reads from the table that may show no pair before the rows count as malformed: a Query is only
 * read-committed against transactions, so it can catch a row in the middle of its move (old key deleted,
 * new key not yet seen).
 */
const CONSISTENT_MALFORMED_READS = 4

/** The errors that mean "someone changed the rows since we read them": read again and retry. */
export function isContention(error: unknown): boolean {
  const {CancellationReasons: reasons, name} = error as {name?: string; CancellationReasons?: Array<{Code?: string}>}
  if (name === 'ConditionalCheckFailedException' || name === 'TransactionConflictException') return true
  // A transaction cancelled for any other reason (a validation error, an item too large) would fail again.
  const retryable = new Set(['None', 'ConditionalCheckFailed', 'TransactionConflict', 'ThrottlingError', undefined])
  return name === 'TransactionCanceledException' && (reasons ?? []).every((reason) => retryable.has(reason.Code))
}

/** The row's condition: it still shows exactly the message we read it with. */
export function unchangedCondition(row: ConversationRowItem) {
  return row.last_message_sk === undefined
    ? {ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(last_message_sk)'}
    : {ConditionExpression: 'last_message_sk = :seen', ExpressionAttributeValues: {':seen': row.last_message_sk}}
}

/** The writes that bring one owner's rows to `message`, and what marks the write of a new key. */
export interface OwnerPlan {
  ownerPk: string
  moved?: ConversationRowItem
  writes: TransactItem[]
  /** Index in `writes` of the Put of a new key (conditional on the key being free), if any. */
  newKeyWrite?: number
}

/**
 * The writes that leave `owner` exactly one row, `keeper` (its newest), moved to `message` if that is newer.
 * A row's key holds the time of its last message and keys cannot be updated, so a move is a Delete of the old
 * key and a Put of the new one in the same transaction, all conditional on the rows as read: never a
 * delete-then-put that a crash or a racing writer could split. The new key is the message's time in the
 * canonical form, `bump` microseconds later when the owner already had another row at that time.
 */
export function planOwner(
  table: MessagesTable,
  keeper: ConversationRowItem,
  extras: ConversationRowItem[],
  message: MessageItem,
  bump: Micros,
  move = needsMessage(keeper, message),
  /** The sort key of a message removed by this move (a hard delete moving the row back from it). */
  removing?: string,
): OwnerPlan {
  const deletes = (rows: ConversationRowItem[]): TransactItem[] =>
    rows.map((row) => ({Delete: {Key: {pk: row.pk, sk: row.sk}, TableName: table.name, ...unchangedCondition(row)}}))
  if (!move) return {ownerPk: keeper.pk, writes: deletes(extras)}
  const sk = formatKeyTime(keyMicros(message.sk) + bump)
  const moved: ConversationRowItem = {...keeper, last_message_sk: message.sk, message: message.message, sk}
  // Only removed messages newer than the one shown can still be applied by a late record: the rest go.
  const removed = [...(keeper.removed_sks ?? []), ...(removing ? [removing] : [])].filter(
    (removedSk) => compareKeys(removedSk, message.sk) > 0,
  )
  if (removed.length > 0) moved.removed_sks = new Set(removed)
  else delete moved.removed_sks
  // A row showing a deleted message shows the tombstone's state, never text (even of a tombstone written before
  // tombstones kept `message`).
  if (isDeletedMessage(message)) {
    moved.deleted_at = message.deleted_at
    moved.message = DELETED_MESSAGE_TEXT
  } else {
    delete moved.deleted_at
  }

  // A transaction touches an item once: a row already at the new key is overwritten in place, not deleted.
  const inPlace = [keeper, ...extras].find((row) => row.sk === sk)
  const others = [keeper, ...extras].filter((row) => row !== inPlace)
  if (inPlace)
    return {
      moved,
      ownerPk: keeper.pk,
      writes: [{Put: {Item: moved, TableName: table.name, ...unchangedCondition(inPlace)}}, ...deletes(others)],
    }
  return {
    moved,
    newKeyWrite: 0,
    ownerPk: keeper.pk,
    writes: [
      {Put: {ConditionExpression: 'attribute_not_exists(pk)', Item: moved, TableName: table.name}},
      ...deletes(others),
    ],
  }
}

/**
 * Whether a row should move to `message`: it is newer, or it is the message the row shows but deleted (or
 * not) unlike the row, as when `update-message-group` repairs rows after a delete.
 */
export const needsMessage = (row: ConversationRowItem, message: MessageItem) =>
  !row.removed_sks?.has(message.sk) &&
  (isNewerThanRow(message.sk, row) ||
    (lastMessageSkOf(row) === message.sk && isDeletedMessage(row) !== isDeletedMessage(message)))

/**
 * The check that goes with every move: the message is not deleted since it was read (a tombstone moving a
 * row is one still). A late stream record of a message soft-deleted since, or a soft delete racing this move,
 * then cancels the move. (A message removed with --hard is refused by the rows' `removed_sks` instead: an
 * absent item passes this check, as records of items never read back do.)
 */
export function messageAsApplied(
  table: MessagesTable,
  message: Pick<MessageItem, 'pk' | 'sk' | 'deleted_at'>,
): TransactItem {
  return {
    ConditionCheck: {
      ConditionExpression: isDeletedMessage(message)
        ? 'attribute_exists(deleted_at)'
        : 'attribute_not_exists(deleted_at)',
      Key: {pk: message.pk, sk: message.sk},
      TableName: table.name,
    },
  }
}

/** The cancellation reason of one item of a cancelled transaction. */
export function cancellationCode(error: unknown, index: number): string | undefined {
  return (error as {CancellationReasons?: Array<{Code?: string}>}).CancellationReasons?.[index]?.Code
}

/** The owners whose new key was taken (by another conversation's row of the same time) in a cancelled transaction. */
export function takenKeys(error: unknown, plans: OwnerPlan[]): string[] {
  const reasons = (error as {CancellationReasons?: Array<{Code?: string}>}).CancellationReasons ?? []
  const taken: string[] = []
  let offset = 0
  for (const plan of plans) {
    if (plan.newKeyWrite !== undefined && reasons[offset + plan.newKeyWrite]?.Code === 'ConditionalCheckFailed')
      taken.push(plan.ownerPk)
    offset += plan.writes.length
  }

  return taken
}

/**
 * Pattern D: brings a conversation's rows to `message` if it is newer than the message they show (compared by
 * instant, whatever format the keys are in; ties by key), keeping exactly one row per participant: extra rows
 * of an owner (left by the course's Lambda) are deleted in the same transaction. Idempotent (applying a message
 * twice changes nothing), order-safe (an older message never moves a row back) and race-free: each change is
 * one conditional transaction on the rows as read; when another writer got there first the transaction is
 * cancelled, and this reads again and decides again. The stream handler calls it for every new message;
 * `updateMessageGroup` calls it with the newest message to repair stale rows.
 */
export async function applyMessageToConversation(table: MessagesTable, message: MessageItem): Promise<ApplyResult> {
  if (
    !isMessageItem(message) ||
    typeof message.sk !== 'string' ||
    (typeof message.message !== 'string' && !isDeletedMessage(message))
  ) {
    throw new CruddurError(
      'INVALID_INPUT',
      `Not a message item (pk ${String(message.pk)}): Pattern D applies messages only.`,
    )
  }

  if (!parseKeyTime(message.sk))
    throw new CruddurError(
      'INVALID_INPUT',
      `Message sort key "${message.sk}" holds no time: Pattern D orders messages by their time.`,
    )
  const messageGroupUuid = messageGroupUuidOf(message)
  const bumps = new Map<string, Micros>()
  let malformed: ConversationRowItem[] | undefined
  let consistent = false
  let consistentMalformedReads = 0
  for (let attempt = 0; attempt < MAX_RACE_ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt)
    // The index is eventually consistent: when it shows no pair of rows (a conversation just created, a row
    // just moved) or keeps losing races, the rows are read from the table itself, starting at the sender's.
    const rows = consistent
      ? await queryGroupRowsConsistently(table, messageGroupUuid, [
          message.user_uuid,
          ...(malformed?.flatMap((row) => [ownerUuidOf(row), row.user_uuid]) ?? []),
        ])
      : await queryGroupRows(table, messageGroupUuid)
    const members = membersOf(messageGroupUuid, rows)
    if (!members) {
      malformed = rows
      if (consistent && ++consistentMalformedReads >= CONSISTENT_MALFORMED_READS) break
      consistent = true
      continue
    }

    malformed = undefined
    const plans = members.rows
      .map((keeper) =>
        planOwner(
          table,
          keeper,
          members.extras.filter((row) => row.pk === keeper.pk),
          message,
          bumps.get(keeper.pk) ?? 0n,
        ),
      )
      .filter((plan) => plan.writes.length > 0)
    if (plans.length === 0) return {messageGroupUuid, removed: 0, rows: members.rows, updated: 0}
    const writes = plans.flatMap((plan) => plan.writes)
    try {
      // Last, so the plans' indexes in a cancellation are unchanged.
      await table.doc.send(new TransactWriteCommand({TransactItems: [...writes, messageAsApplied(table, message)]}))
    } catch (error) {
      if (!isContention(error)) throw error
      // The message was deleted (or tombstoned) since it was written: applying it would undo the delete.
      if (cancellationCode(error, writes.length) === 'ConditionalCheckFailed')
        return {messageGroupUuid, removed: 0, rows: members.rows, updated: 0}
      for (const ownerPk of takenKeys(error, plans)) bumps.set(ownerPk, (bumps.get(ownerPk) ?? 0n) + 1n)
      if (attempt + 1 >= INDEX_ATTEMPTS) consistent = true
      continue
    }

    const current = members.rows.map((row) => plans.find((plan) => plan.ownerPk === row.pk)?.moved ?? row)
    return {
      messageGroupUuid,
      removed: members.extras.length,
      rows: current,
      updated: plans.filter((plan) => plan.moved).length,
    }
  }

  if (malformed?.length === 0) {
    throw new CruddurError(
      'NOT_FOUND',
      `No conversation rows for ${messageGroupUuid} in table ${table.name}: the conversation ` +
        `does not exist, or its rows were deleted.`,
    )
  }

  if (malformed) {
    throw new CruddurError(
      'CONFLICT',
      `Conversation ${messageGroupUuid} has ${malformed.length} conversation rows that do not ` +
        `form one pair of participants`,
      {hint: {step: 'inspect-conversations'}},
    )
  }

  throw new CruddurError(
    'CONFLICT',
    `Could not update conversation ${messageGroupUuid}: other writers kept changing its rows ` +
      `for ${MAX_RACE_ATTEMPTS} attempts`,
    {hint: {messageGroupUuid, step: 'refresh-conversation'}},
  )
}

/** The widest UTC offset (+14:00): a key's local wall-clock time is at most this far from its instant. */
const MAX_OFFSET_MICROS = 14n * 3_600_000_000n

/** The conversation's last `limit` messages by key: one Query, descending (a Query of one partition, never a Scan). */
export async function lastMessagesByKey(
  table: MessagesTable,
  messageGroupUuid: string,
  {limit, consistent = false}: {limit: number; consistent?: boolean},
): Promise<MessageItem[]> {
  const input = {
    ConsistentRead: consistent,
    KeyConditionExpression: 'pk = :pk',
    Limit: limit,
    ScanIndexForward: false,
    TableName: table.name,
  }
  const pk = messagePk(messageGroupUuid)
  // Doctor sends this once per conversation: through the query client when the table has one.
  if (table.queryClient) {
    const output = await table.queryClient.send(
      new LowLevelQueryCommand({...input, ExpressionAttributeValues: {':pk': {S: pk}}}),
    )
    return (output.Items ?? []).map((item) => unmarshall(item) as MessageItem)
  }

  const output = await table.doc.send(new QueryCommand({...input, ExpressionAttributeValues: {':pk': pk}}))
  return (output.Items ?? []) as MessageItem[]
}

/**
 * A conversation's newest message by instant. String order is time order only within one key format, so it
 * takes the last key by string and then reads every key whose wall-clock text could still be a later instant
 * (within the widest UTC offset of it): usually a handful of messages, never the whole conversation.
 */
export async function newestMessage(
  table: MessagesTable,
  messageGroupUuid: string,
  options: {except?: string; consistent?: boolean} = {},
): Promise<MessageItem | undefined> {
  // `except`: the newest but this one (a message being removed). `consistent`: sees every write acknowledged.
  const consistent = options.consistent === true
  const kept = (item: MessageItem) => item.sk !== options.except
  const last = (await lastMessagesByKey(table, messageGroupUuid, {consistent, limit: 2})).find(kept)
  if (!last) return undefined
  // The date and time of day, without fraction or offset: a prefix every later-instant key sorts after.
  const from = formatKeyTime(keyMicros(last.sk) - MAX_OFFSET_MICROS).slice(0, 19)
  let newest = last
  const pages = paginateQuery(
    {client: table.doc, pageSize: 100},
    {
      ConsistentRead: consistent,
      ExpressionAttributeValues: {':from': from, ':pk': messagePk(messageGroupUuid)},
      KeyConditionExpression: 'pk = :pk AND sk >= :from',
      ScanIndexForward: false,
      TableName: table.name,
    },
  )
  for await (const page of pages) {
    for (const item of (page.Items ?? []) as MessageItem[])
      if (kept(item) && compareKeys(item.sk, newest.sk) > 0) newest = item
  }

  return newest
}

/**
 * Reconciles one conversation's rows with its messages (what `ddb doctor --fix` calls per conversation): one
 * row per participant, at the newest message by instant, extra rows deleted. The same as
 * `updateMessageGroup`, under the name of what it does for a repair tool.
 */
export const reconcileConversationRows = (table: MessagesTable, messageGroupUuid: string) =>
  updateMessageGroup(table, messageGroupUuid)

export interface UpdateMessageGroupResult extends ApplyResult {
  lastMessage: Message
}

/**
 * Pattern D as a repair: finds the conversation's newest message by instant (`newestMessage`) and applies it,
 * so rows left stale (say, after a stream outage, or moved back by the course's Lambda) catch up, and an
 * owner's extra rows are deleted.
 */
export async function updateMessageGroup(
  table: MessagesTable,
  messageGroupUuid: string,
): Promise<UpdateMessageGroupResult> {
  const group = requireUuid(messageGroupUuid, 'The conversation id')
  const newest = await newestMessage(table, group)
  if (!newest) {
    // Tells an unknown conversation (NOT_FOUND) from one without messages.
    await requireMembers(table, group)
    throw new CruddurError(
      'NOT_FOUND',
      `Conversation ${group} has no messages yet: there is nothing to bring its rows up to.`,
    )
  }

  return {...(await applyMessageToConversation(table, newest)), lastMessage: messageFromItem(newest)}
}

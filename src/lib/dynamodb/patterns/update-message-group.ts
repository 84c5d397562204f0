import {QueryCommand, TransactWriteCommand, type TransactWriteCommandInput, type DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number]

import {CruddurError} from '../../errors.js'
import {conversationSk, isDeletedMessage, isMessageItem, type MessageItem, messageGroupUuidOf, messagePk, sortKeyTime} from '../items.js'
import {type ConversationRowItem, lastMessageSkOf, membersOf, ownerUuidOf, queryGroupRows, queryGroupRowsConsistently, requireMembers} from './conversation-rows.js'
import {requireUuid} from './input.js'
import {type Message, messageFromItem} from './views.js'

export interface ApplyResult {
  messageGroupUuid: string
  /** How many of the two rows moved to this message (0 when both already held it or a newer one). */
  updated: number
  /** Both rows as they are now. */
  rows: ConversationRowItem[]
}

const MAX_ATTEMPTS = 30
/** Lost races after which the rows are read from the table: the index may still show rows already moved. */
const INDEX_ATTEMPTS = 3
/**
 * Reads from the table that may show no pair before the rows count as malformed: a Query is only
 * read-committed against transactions, so it can catch a row in the middle of its move (old key deleted,
 * new key not yet seen).
 */
const CONSISTENT_MALFORMED_READS = 4
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Full jitter: concurrent appliers that collided spread out instead of colliding again. */
const backoff = (attempt: number) => sleep(Math.random() * Math.min(500, 10 * 2 ** attempt))

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

/**
 * The writes that move one row to `message`. The row's key holds the time of its last message and keys
 * cannot be updated, so a move is a Delete of the old key and a Put of the new one in the same
 * transaction, both conditional: never a delete-then-put that a crash or a racing writer could split.
 */
export function moveRow(table: string, row: ConversationRowItem, message: MessageItem): {moved: ConversationRowItem; writes: TransactItem[]} {
  const {deleted_at: _deleted, message: _text, ...rest} = row
  // A row showing a deleted message keeps its place but shows the tombstone's state, never text.
  const shown = isDeletedMessage(message) ? {deleted_at: message.deleted_at} : {message: message.message}
  const moved = {
    ...rest,
    ...shown,
    last_message_sk: message.sk,
    sk: conversationSk(sortKeyTime(message), row.message_group_uuid),
  } as ConversationRowItem
  if (moved.sk === row.sk) return {moved, writes: [{Put: {Item: moved, TableName: table, ...unchangedCondition(row)}}]}
  return {
    moved,
    writes: [
      {Delete: {Key: {pk: row.pk, sk: row.sk}, TableName: table, ...unchangedCondition(row)}},
      {Put: {ConditionExpression: 'attribute_not_exists(pk)', Item: moved, TableName: table}},
    ],
  }
}

/**
 * Pattern D: moves both participants' conversation rows of the message's group to `message` if it is newer
 * than the message they show (compared by the message sort key, so messages of one millisecond order too).
 * Idempotent (applying a message twice changes nothing), order-safe (an older message never moves a row
 * back) and race-free: each move is one conditional transaction on the rows as read; when another writer got
 * there first the transaction is cancelled, and this reads again and decides again. The stream handler calls
 * it for every new message; `updateMessageGroup` calls it with the newest message to repair stale rows.
 */
export async function applyMessageToConversation(doc: DynamoDBDocumentClient, table: string, message: MessageItem): Promise<ApplyResult> {
  if (!isMessageItem(message) || typeof message.sk !== 'string' || (typeof message.message !== 'string' && !isDeletedMessage(message))) {
    throw new CruddurError('INVALID_INPUT', `Not a message item (pk ${String(message.pk)}): Pattern D applies messages only.`)
  }

  const messageGroupUuid = messageGroupUuidOf(message)
  let malformed: ConversationRowItem[] | undefined
  let consistent = false
  let consistentMalformedReads = 0
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt)
    // The index is eventually consistent: when it shows no pair of rows (a conversation just created, a row
    // just moved) or keeps losing races, the rows are read from the table itself, starting at the sender's.
    const rows = consistent
      ? await queryGroupRowsConsistently(doc, table, messageGroupUuid, [message.user_uuid, ...malformed?.flatMap((row) => [ownerUuidOf(row), row.user_uuid]) ?? []])
      : await queryGroupRows(doc, table, messageGroupUuid)
    if (!membersOf(messageGroupUuid, rows)) {
      malformed = rows
      if (consistent && ++consistentMalformedReads >= CONSISTENT_MALFORMED_READS) break
      consistent = true
      continue
    }

    malformed = undefined
    // Newer, or the same message whose deleted state the row does not show yet (a repair after a delete).
    const stale = rows.filter((row) => message.sk > lastMessageSkOf(row) || (message.sk === lastMessageSkOf(row) && isDeletedMessage(row) !== isDeletedMessage(message)))
    if (stale.length === 0) return {messageGroupUuid, rows, updated: 0}
    const moves = stale.map((row) => moveRow(table, row, message))
    try {
      await doc.send(new TransactWriteCommand({TransactItems: [messageAsApplied(table, message), ...moves.flatMap((move) => move.writes)]}))
    } catch (error) {
      if (!isContention(error)) throw error
      // The message was deleted (or tombstoned) since it was written: applying it would undo the delete.
      if (cancellationCode(error, 0) === 'ConditionalCheckFailed') return {messageGroupUuid, rows, updated: 0}
      if (attempt + 1 >= INDEX_ATTEMPTS) consistent = true
      continue
    }

    const current = rows.map((row) => moves.find((move) => move.moved.pk === row.pk)?.moved ?? row)
    return {messageGroupUuid, rows: current, updated: moves.length}
  }

  if (malformed?.length === 0) {
    throw new CruddurError('NOT_FOUND', `No conversation rows for ${messageGroupUuid} in table ${table}: the conversation does not exist, or its rows were deleted.`)
  }

  if (malformed) {
    throw new CruddurError('CONFLICT', `Conversation ${messageGroupUuid} has ${malformed.length} conversation rows that do not form one pair of participants: inspect them with \`cruddur ddb scan --type conversations\`.`)
  }

  throw new CruddurError('CONFLICT', `Could not update conversation ${messageGroupUuid}: other writers kept changing its rows for ${MAX_ATTEMPTS} attempts. Run \`cruddur ddb patterns update-message-group ${messageGroupUuid}\` again.`)
}

/**
 * The check that goes with every move: the message is still in the table, deleted or not as it was read.
 * A late stream record of a message deleted since, or a delete racing this move, then cancels the move.
 */
export function messageAsApplied(table: string, message: MessageItem): TransactItem {
  return {
    ConditionCheck: {
      ConditionExpression: `attribute_exists(pk) AND ${isDeletedMessage(message) ? 'attribute_exists(deleted_at)' : 'attribute_not_exists(deleted_at)'}`,
      Key: {pk: message.pk, sk: message.sk},
      TableName: table,
    },
  }
}

/** The cancellation reason of one item of a cancelled transaction. */
export function cancellationCode(error: unknown, index: number): string | undefined {
  return (error as {CancellationReasons?: Array<{Code?: string}>}).CancellationReasons?.[index]?.Code
}

export interface UpdateMessageGroupResult extends ApplyResult {
  lastMessage: Message
}

/**
 * Pattern D as a repair: finds the conversation's newest message (one Query, `pk = MSG#<group>`, descending,
 * Limit 1) and applies it, so rows left stale (say, after a stream outage) catch up.
 */
export async function updateMessageGroup(doc: DynamoDBDocumentClient, table: string, messageGroupUuid: string): Promise<UpdateMessageGroupResult> {
  const group = requireUuid(messageGroupUuid, 'The conversation id')
  const output = await doc.send(
    new QueryCommand({
      ExpressionAttributeValues: {':pk': messagePk(group)},
      KeyConditionExpression: 'pk = :pk',
      Limit: 1,
      ScanIndexForward: false,
      TableName: table,
    }),
  )
  const newest = output.Items?.[0] as MessageItem | undefined
  if (!newest) {
    // Tells an unknown conversation (NOT_FOUND) from one without messages.
    await requireMembers(doc, table, group)
    throw new CruddurError('NOT_FOUND', `Conversation ${group} has no messages yet: there is nothing to bring its rows up to.`)
  }

  return {...(await applyMessageToConversation(doc, table, newest)), lastMessage: messageFromItem(newest)}
}

import {GetCommand, paginateQuery, TransactWriteCommand} from '@aws-sdk/lib-dynamodb'

import {CruddurError} from '../../errors.js'
import {
  conversationMarkerKey,
  DELETED_MESSAGE_TEXT,
  isDeletedMessage,
  type MessageItem,
  messagePk,
  type Participant,
} from '../items.js'
import {type Micros, parseKeyTime} from '../key-time.js'
import {
  type ConversationMembers,
  type ConversationRowItem,
  membersOf,
  queryGroupRowsConsistently,
  requireMembers,
} from './conversation-rows.js'
import {markerUnchanged, readMarker} from './create-message.js'
import {requireUuid} from './input.js'
import {
  isContention,
  messageAsApplied,
  newestMessage,
  type OwnerPlan,
  planOwner,
  takenKeys,
  type TransactItem,
  unchangedCondition,
} from './update-message-group.js'
import {type Message, messageFromItem} from './views.js'
import {backoff, MAX_RACE_ATTEMPTS} from '../../sleep.js'
import type {MessagesTable} from '../messages-table.js'

export interface DeleteMessageInput {
  messageGroupUuid: string
  messageUuid: string
  /** Remove the item instead of leaving a tombstone. */
  hard?: boolean
  /** Delete on this user's behalf: refused unless they sent the message. Without, an operator deletes. */
  asUser?: Pick<Participant, 'uuid'> & {handle?: string}
  /** The tombstone's time (default: now). */
  now?: Date
}

export interface DeleteMessageResult {
  messageGroupUuid: string
  messageUuid: string
  hard: boolean
  /** The message as it is now (a tombstone), or as it was before it was removed (`--hard`). */
  message: Message
  /** True when a soft delete found the message deleted already: nothing was written. */
  alreadyDeleted: boolean
  /** Conversation rows changed (moved back, or showing the deleted state). */
  rowsUpdated: number
  /** True when the last message was removed with --hard, and the rows and the marker with it. */
  conversationRemoved: boolean
  /** Both participants, for cache refreshes. */
  participantUuids: string[]
}

/**
 * A message of a conversation by its uuid: keys hold only its time, so this reads the conversation's
 * partition (consistently, newest first) for the one item with that message_uuid.
 */
export async function findMessage(
  table: MessagesTable,
  messageGroupUuid: string,
  messageUuid: string,
): Promise<MessageItem | undefined> {
  const pages = paginateQuery(
    {client: table.doc, pageSize: 500},
    {
      ConsistentRead: true,
      ExpressionAttributeValues: {':pk': messagePk(messageGroupUuid), ':uuid': messageUuid},
      FilterExpression: 'message_uuid = :uuid',
      KeyConditionExpression: 'pk = :pk',
      ScanIndexForward: false,
      TableName: table.name,
    },
  )
  for await (const page of pages) {
    const found = page.Items?.[0]
    if (found) return found as MessageItem
  }

  return undefined
}

/** A row shows a message when it names its sort key; rows written without one (the seed's) by the same instant. */
export function rowShows(row: ConversationRowItem, message: Pick<MessageItem, 'sk'>): boolean {
  if (row.last_message_sk !== undefined) return row.last_message_sk === message.sk
  const rowTime = parseKeyTime(row.sk)
  const messageTime = parseKeyTime(message.sk)
  return rowTime !== undefined && messageTime !== undefined && rowTime.micros === messageTime.micros
}

/**
 * Deletes one message. Soft (default): the item becomes a tombstone (`deleted_at` set, text replaced by
 * DELETED_MESSAGE_TEXT), and a row showing it shows the deleted state instead of the text. Hard: the item is
 * removed, and a row showing it moves back to the newest remaining message; removing the last message removes
 * both rows and the marker.
 *
 * The reverse of Pattern D, with its guarantees: the message's change and every row's move are one transaction, each
 * row conditional on still showing this message and the row's new message on still being there as read, so a send
 * landing meanwhile wins (its Pattern D moves the rows on from wherever this left them) and a lost race is read again.
 * Removing the last message is conditional on the marker's version as read before the messages were, which every send
 * bumps with its message: a send landing meanwhile cancels the removal (the next attempt moves the rows to its
 * message), and a send after it finds no conversation and starts one, so no message is ever left without its rows.
 * Deleting twice changes nothing the second time (a second hard delete finds no message: NOT_FOUND).
 */
export async function deleteMessage(table: MessagesTable, input: DeleteMessageInput): Promise<DeleteMessageResult> {
  const group = requireUuid(input.messageGroupUuid, 'The conversation id')
  const messageUuid = requireUuid(input.messageUuid, 'The message id')
  const members = await requireMembers(table, group)
  const message = await findMessage(table, group, messageUuid)
  if (!message) {
    throw new CruddurError(
      'NOT_FOUND',
      `No message ${messageUuid} in conversation ` +
        `${group}${input.hard ? ' (a message already removed with --hard is gone too)' : ''}`,
      {hint: {messageGroupUuid: group, step: 'read-conversation'}},
    )
  }

  if (input.asUser && input.asUser.uuid !== message.user_uuid) {
    const who = input.asUser.handle ? `@${input.asUser.handle}` : `User ${input.asUser.uuid}`
    throw new CruddurError(
      'CONFLICT',
      `${who} did not send message ${messageUuid} (@${message.user_handle} did): only its sender ` +
        `can delete it; drop --as to delete as an operator.`,
    )
  }

  return removeMessage(table, members, message, {hard: Boolean(input.hard), now: input.now})
}

/** The message's removal and the rows' moves, retried on lost races; `message` as read, consistently. */
export async function removeMessage(
  table: MessagesTable,
  members: ConversationMembers,
  message: MessageItem,
  options: {hard: boolean; now?: Date},
): Promise<DeleteMessageResult> {
  const deletedAt = (options.now ?? new Date()).toISOString()
  const key = {pk: message.pk, sk: message.sk}
  const participantUuids = members.participants.map((p) => p.uuid)
  const result = (alreadyDeleted: boolean, rowsUpdated: number, conversationRemoved = false): DeleteMessageResult => ({
    alreadyDeleted,
    conversationRemoved,
    hard: options.hard,
    message: messageFromItem(options.hard ? message : tombstoneOf(message, deletedAt)),
    messageGroupUuid: members.messageGroupUuid,
    messageUuid: message.message_uuid,
    participantUuids,
    rowsUpdated,
  })

  let current: MessageItem | undefined = message
  const bumps = new Map<string, Micros>()
  for (let attempt = 0; attempt < MAX_RACE_ATTEMPTS; attempt++) {
    if (attempt > 0) {
      await backoff(attempt)
      current = (await table.doc.send(new GetCommand({ConsistentRead: true, Key: key, TableName: table.name}))).Item as
        MessageItem | undefined
      if (!current) return result(true, 0) // removed by someone else, with its rows
    }

    // Before the rows and the messages: a send landing after this read bumps the marker's version, and a
    // removal of the conversation conditional on it then fails.
    const marker = options.hard ? await readMarker(table, members.messageGroupUuid) : undefined
    // From the table, not the index: a row the index still shows elsewhere may already show this message.
    const now = membersOf(
      members.messageGroupUuid,
      await queryGroupRowsConsistently(table, members.messageGroupUuid, participantUuids),
    )
    if (!now) continue // a row caught in the middle of its move: read again
    const shows = (row: ConversationRowItem) => rowShows(row, current!)
    const tombstone = tombstoneOf(current, deletedAt)
    const previous =
      options.hard && now.rows.some(shows)
        ? await newestMessage(table, members.messageGroupUuid, {consistent: true, except: current.sk})
        : undefined
    const plans: OwnerPlan[] = []
    const others: TransactItem[] = []
    const unchanged = (row: ConversationRowItem): TransactItem => ({
      ConditionCheck: {Key: {pk: row.pk, sk: row.sk}, TableName: table.name, ...unchangedCondition(row)},
    })
    const remove = (row: ConversationRowItem): TransactItem => ({
      Delete: {Key: {pk: row.pk, sk: row.sk}, TableName: table.name, ...unchangedCondition(row)},
    })
    let rowsUpdated = 0
    for (const keeper of now.rows) {
      const extras = now.extras.filter((row) => row.pk === keeper.pk)
      const bump = bumps.get(keeper.pk) ?? 0n
      if (!shows(keeper)) {
        // Left alone, it must still be as read when this commits: a send's Pattern D moving it onto this
        // message meanwhile cancels the transaction, and the next attempt moves it too. An older extra row
        // showing this message goes (Pattern D would delete it anyway).
        others.push(unchanged(keeper), ...extras.filter(shows).map(remove))
      } else if (options.hard && previous) {
        plans.push(planOwner(table, keeper, extras, previous, bump, true, current.sk))
        rowsUpdated++
      } else if (options.hard) {
        others.push(remove(keeper), ...extras.map(remove))
        rowsUpdated++
      } else if (!isDeletedMessage(keeper) || extras.length > 0) {
        plans.push(planOwner(table, keeper, extras, tombstone, bump, !isDeletedMessage(keeper)))
        if (!isDeletedMessage(keeper)) rowsUpdated++
      }
    }

    const conversationRemoved = options.hard && !previous && now.rows.some(shows)
    let messageWrites: TransactItem[]
    if (options.hard) {
      messageWrites = [{Delete: {ConditionExpression: 'attribute_exists(pk)', Key: key, TableName: table.name}}]
      // The row's new message must still be there, deleted or not as read (another delete may be removing it).
      if (previous)
        messageWrites.push({
          ConditionCheck: {
            ...messageAsApplied(table, previous).ConditionCheck!,
            ConditionExpression:
              `attribute_exists(pk) AND ` + `${messageAsApplied(table, previous).ConditionCheck!.ConditionExpression}`,
          },
        })
      if (conversationRemoved)
        messageWrites.push({
          Delete: {
            Key: conversationMarkerKey(members.messageGroupUuid),
            TableName: table.name,
            ...markerUnchanged(marker),
          },
        })
    } else {
      if (isDeletedMessage(current) && plans.length === 0 && others.every((write) => !write.Delete))
        return result(true, 0)
      messageWrites = [{Put: {ConditionExpression: 'attribute_exists(pk)', Item: tombstone, TableName: table.name}}]
    }

    try {
      // The plans first: their indexes in a cancellation tell which new row key was taken.
      await table.doc.send(
        new TransactWriteCommand({
          TransactItems: [...plans.flatMap((plan) => plan.writes), ...others, ...messageWrites],
        }),
      )
    } catch (error) {
      if (!isContention(error)) throw error
      for (const ownerPk of takenKeys(error, plans)) bumps.set(ownerPk, (bumps.get(ownerPk) ?? 0n) + 1n)
      continue
    }

    return result(false, rowsUpdated, conversationRemoved)
  }

  throw new CruddurError(
    'CONFLICT',
    `Could not delete message ${message.message_uuid}: other writers kept changing ` +
      `conversation ${members.messageGroupUuid} for ${MAX_RACE_ATTEMPTS} attempts. Run the command again.`,
  )
}

/** The message deleted: its text replaced, its first deletion's time kept. */
const tombstoneOf = (message: MessageItem, deletedAt: string): MessageItem => ({
  ...message,
  deleted_at: message.deleted_at ?? deletedAt,
  message: DELETED_MESSAGE_TEXT,
})

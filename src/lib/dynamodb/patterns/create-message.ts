import {randomUUID} from 'node:crypto'

import {paginateQuery, PutCommand, TransactWriteCommand} from '@aws-sdk/lib-dynamodb'

import {CruddurError} from '../../errors.js'
import {conversationRow, groupPk, type MessageItem, messageItem, type Participant} from '../items.js'
import {formatKeyTime, type Micros, microsOfDate, nextKeyTime, nowMicros} from '../key-time.js'
import {conversationUuidFor} from './conversation-uuid.js'
import {
  compareRows,
  type ConversationMembers,
  type ConversationRowItem,
  queryGroupRows,
  requireMembers,
  requireParticipant,
} from './conversation-rows.js'
import {requireMessageText, requireOtherRecipient, requireUuid} from './input.js'
import {findSentMessage, idempotencyMarkerPut, idempotentMessageUuid} from './idempotency.js'
import {applyMessageToConversation} from './update-message-group.js'
import {type Message, messageFromItem} from './views.js'
import {sleep} from '../../sleep.js'
import type {MessagesTable} from '../messages-table.js'

/**
 * The item that makes "start a conversation" happen once per pair. Conversation rows cannot carry the
 * guarantee (their keys hold the time of the last message, so two starts write different keys); this item's
 * key is fixed by the pair's deterministic message_group_uuid, and the start transaction puts it only if it
 * does not exist. It has no message_group_uuid attribute, so the index stays sparse.
 */
export const CONVERSATION_MARKER_PREFIX = 'CONV#'
export const CONVERSATION_MARKER_SK = 'CONV'

export interface ConversationMarker {
  pk: string
  sk: string
  participant_uuids: [string, string]
  created_at: string
}

export const conversationMarker = (
  messageGroupUuid: string,
  a: string,
  b: string,
  createdAt: string,
): ConversationMarker => ({
  created_at: createdAt,
  participant_uuids: [a, b].sort() as [string, string],
  pk: `${CONVERSATION_MARKER_PREFIX}${messageGroupUuid}`,
  sk: CONVERSATION_MARKER_SK,
})

export interface CreateMessageInput {
  sender: Participant
  /** Start a conversation with this user, or add to the one the two already have. */
  recipient?: Participant
  /** Or add to this existing conversation, which the sender must be in. */
  messageGroupUuid?: string
  text: string
  /** The message's time (default: now, to the microsecond). */
  now?: Date
  /**
   * Makes the send idempotent: the message's uuid is derived from the sender and this key, and the message is
   * written only if no message with that uuid was; a retry returns the first message with `duplicate: true`.
   */
  idempotencyKey?: string
}

export interface CreateMessageResult {
  message: Message
  /** The item as written, what the stream's NewImage will hold. */
  item: MessageItem
  messageGroupUuid: string
  newConversation: boolean
  /** True when an earlier send with the same idempotency key wrote the message: nothing was written now. */
  duplicate: boolean
}

/** Keys found taken before giving up: each try moves the time on by a microsecond, so a handful is plenty. */
const MAX_KEY_TRIES = 100

/**
 * Pattern C: writes a message. With `messageGroupUuid` it adds to that conversation if the sender is one of
 * its participants. With `recipient` it adds to the conversation the two already have, or starts one: the
 * marker, both conversation rows and the first message in one transaction, so a conversation never exists
 * half-made, and two concurrent starts for one pair make one conversation (the loser adds its message to it).
 * Every input is checked before anything is written.
 *
 * After the message is written, this applies it to the conversation rows itself (Pattern D), so whoever
 * sends a message sees their conversation list up to date at once and the CLI works without a stream
 * processor. In production the stream applies each message again; Pattern D is idempotent, so that second
 * application changes nothing, and the stream remains what repairs rows if this process dies in between.
 */
export async function createMessage(table: MessagesTable, input: CreateMessageInput): Promise<CreateMessageResult> {
  const sender = requireParticipantInput(input.sender, 'sender')
  const text = requireMessageText(input.text)
  if ((input.recipient === undefined) === (input.messageGroupUuid === undefined)) {
    throw new CruddurError(
      'INVALID_INPUT',
      'A message goes either to a person or into a conversation: give a recipient or a ' +
        'message_group_uuid, not both or neither.',
    )
  }

  const createdAt = input.now ? microsOfDate(input.now) : nowMicros()
  const idempotent = input.idempotencyKey !== undefined
  const messageUuid = idempotent ? idempotentMessageUuid(sender.uuid, input.idempotencyKey!) : randomUUID()
  const item = (messageGroupUuid: string, at: Micros = createdAt) =>
    messageItem({createdAt: formatKeyTime(at), messageGroupUuid, messageUuid, sender, text})
  // A retry finds the first attempt's message; racing retries are settled by the marker's conditional put.
  const duplicate = idempotent
    ? async (): Promise<CreateMessageResult | undefined> => {
        const sent = await findSentMessage(table, messageUuid, sender)
        if (!sent) return undefined
        // The first attempt may have died before Pattern D: applying its message again repairs the rows.
        if (sent.item && !sent.message.deleted) await applyMessageToConversation(table, sent.item)
        return {
          duplicate: true,
          item: sent.item!,
          message: sent.message,
          messageGroupUuid: sent.messageGroupUuid,
          newConversation: false,
        }
      }
    : undefined

  if (duplicate) {
    const first = await duplicate()
    if (first) return first
  }

  if (input.messageGroupUuid !== undefined) {
    const group = requireUuid(input.messageGroupUuid, 'The conversation id')
    const members = await requireMembers(table, group)
    requireParticipant(members, sender, 'post in it')
    return addMessage(table, members, item(group), duplicate)
  }

  const recipient = requireParticipantInput(input.recipient!, 'recipient')
  requireOtherRecipient(sender, recipient)

  const group = conversationUuidFor(sender.uuid, recipient.uuid)
  // Microseconds each row's key is moved on: an owner may already have a row (another conversation) at this time.
  const rowBumps: [Micros, Micros] = [0n, 0n]
  let messageBump = 0n
  const isNew = {ConditionExpression: 'attribute_not_exists(pk)', TableName: table.name}
  for (let attempt = 0; attempt < MAX_KEY_TRIES; attempt++) {
    const existing = await findConversationBetween(table, sender, recipient)
    if (existing) return addMessage(table, existing, item(existing.messageGroupUuid), duplicate)
    const first = item(group, createdAt + messageBump)
    const rows: ConversationRowItem[] = [
      {
        ...conversationRow({
          lastMessage: text,
          lastMessageAt: formatKeyTime(createdAt + rowBumps[0]),
          messageGroupUuid: group,
          other: recipient,
          owner: sender,
        }),
        last_message_sk: first.sk,
      },
      {
        ...conversationRow({
          lastMessage: text,
          lastMessageAt: formatKeyTime(createdAt + rowBumps[1]),
          messageGroupUuid: group,
          other: sender,
          owner: recipient,
        }),
        last_message_sk: first.sk,
      },
    ]
    try {
      await table.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {Put: {...isNew, Item: conversationMarker(group, sender.uuid, recipient.uuid, first.sk)}},
            ...rows.map((row) => ({Put: {...isNew, Item: row}})),
            {Put: {...isNew, Item: first}},
            ...(duplicate ? [idempotencyMarkerPut(table, first)] : []),
          ],
        }),
      )
      return {
        duplicate: false,
        item: first,
        message: messageFromItem(first),
        messageGroupUuid: group,
        newConversation: true,
      }
    } catch (error) {
      const {CancellationReasons: reasons, name} = error as {
        name?: string
        CancellationReasons?: Array<{Code?: string}>
      }
      if (name !== 'TransactionCanceledException') throw error
      const taken = (index: number) => reasons?.[index]?.Code === 'ConditionalCheckFailed'
      // The idempotency marker exists: a retry of this send got there first.
      const sent = duplicate && taken(4) ? await duplicate() : undefined
      if (sent) return sent
      // The marker exists: someone started this pair's conversation since we looked. Add to theirs.
      if (taken(0))
        return addMessage(table, await requireMembers(table, group, [sender.uuid, recipient.uuid]), first, duplicate)
      // An owner already has a row at this time (another conversation): that row's time moves on.
      if (taken(1) || taken(2) || taken(3)) {
        if (taken(1)) rowBumps[0]++
        if (taken(2)) rowBumps[1]++
        if (taken(3)) messageBump++
        continue
      }

      // A concurrent start still in flight (TransactionConflict): look again, it has either won or failed.
      if (attempt >= 5) throw error
      await sleep(Math.random() * 50 * 2 ** attempt)
    }
  }

  throw new CruddurError(
    'CONFLICT',
    `Could not start a conversation between @${sender.handle} and @${recipient.handle}: its ` +
      `keys stayed taken for ${MAX_KEY_TRIES} tries. Try again.`,
  )
}

function requireParticipantInput(participant: Participant, role: string): Participant {
  const uuid = requireUuid(participant.uuid, `The ${role}'s user id`)
  if (!participant.handle?.trim()) throw new CruddurError('INVALID_INPUT', `The ${role} has no handle.`)
  return {displayName: participant.displayName ?? participant.handle, handle: participant.handle, uuid}
}

/**
 * Puts a message under a free key: the write is conditional on the key, and when another message of the
 * conversation has it (sent in the same microsecond) the time moves on by one microsecond. Nothing is
 * overwritten, and both messages are kept in a stable order.
 */
async function putMessage(table: MessagesTable, message: MessageItem): Promise<MessageItem> {
  let item = message
  for (let tries = 0; tries < MAX_KEY_TRIES; tries++) {
    try {
      await table.doc.send(
        new PutCommand({
          ConditionExpression: 'attribute_not_exists(pk)',
          Item: item,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          TableName: table.name,
        }),
      )
      return item
    } catch (error) {
      const {Item: holder, name} = error as {name?: string; Item?: {message_uuid?: string | {S?: string}}}
      if (name !== 'ConditionalCheckFailedException') throw error
      // Our own write, answered late and retried by the SDK: it is in. (The error's item is not unmarshalled.)
      const holderUuid = holder?.message_uuid
      if ((typeof holderUuid === 'string' ? holderUuid : holderUuid?.S) === item.message_uuid) return item
      item = {...item, sk: nextKeyTime(item.sk)}
    }
  }

  throw new CruddurError(
    'CONFLICT',
    `Could not save message ${message.message_uuid}: ${MAX_KEY_TRIES} keys from ${message.sk} ` +
      `on were taken. Try again.`,
  )
}

/**
 * An idempotent send's put: the message and its idempotency marker in one transaction, the marker only if
 * absent (see idempotency.ts). A taken message key moves on a microsecond, as in putMessage; a taken marker
 * means a retry of this send got there first (or is committing: TransactionConflict), and its message is
 * returned instead.
 */
async function putIdempotentMessage(
  table: MessagesTable,
  message: MessageItem,
  duplicate: () => Promise<CreateMessageResult | undefined>,
): Promise<MessageItem | CreateMessageResult> {
  let item = message
  for (let tries = 0; tries < MAX_KEY_TRIES; tries++) {
    try {
      await table.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {Put: {ConditionExpression: 'attribute_not_exists(pk)', Item: item, TableName: table.name}},
            idempotencyMarkerPut(table, item),
          ],
        }),
      )
      return item
    } catch (error) {
      const {CancellationReasons: reasons, name} = error as {
        name?: string
        CancellationReasons?: Array<{Code?: string}>
      }
      if (name !== 'TransactionCanceledException') throw error
      if (reasons?.[1]?.Code === 'ConditionalCheckFailed' || reasons?.[1]?.Code === 'TransactionConflict') {
        const first = await duplicate()
        if (first) return first
      }

      if (reasons?.[0]?.Code === 'ConditionalCheckFailed') item = {...item, sk: nextKeyTime(item.sk)}
      else await sleep(Math.random() * 20 * 2 ** Math.min(tries, 6))
    }
  }

  throw new CruddurError(
    'CONFLICT',
    `Could not save message ${message.message_uuid}: ${MAX_KEY_TRIES} tries lost to other ` +
      `writers. Try again with the same idempotency key.`,
  )
}

/** Writes one message into an existing conversation; with `duplicate`, idempotently. */
async function addMessage(
  table: MessagesTable,
  members: ConversationMembers,
  unsaved: MessageItem,
  duplicate?: () => Promise<CreateMessageResult | undefined>,
): Promise<CreateMessageResult> {
  const saved = duplicate ? await putIdempotentMessage(table, unsaved, duplicate) : await putMessage(table, unsaved)
  if ('duplicate' in saved) return saved
  const message = saved
  try {
    await applyMessageToConversation(table, message)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new CruddurError(
      'FAILED',
      `Message ${message.message_uuid} was saved in conversation ${members.messageGroupUuid}, ` +
        `but its conversation rows were not updated (${reason})`,
      {cause: error, hint: {messageGroupUuid: members.messageGroupUuid, step: 'refresh-conversation'}},
    )
  }

  return {
    duplicate: false,
    item: message,
    message: messageFromItem(message),
    messageGroupUuid: members.messageGroupUuid,
    newConversation: false,
  }
}

/**
 * The conversation two users already share. A pair can have several: the Cruddur app mints a random
 * message_group_uuid each time it starts one. The choice is deterministic: the pair's derived id if that
 * conversation exists (one index query); otherwise the one whose row in the first user's list shows the
 * newest message (by instant; ties by id). That reads the first user's whole list, filtered on the other
 * user, only while the pair has no derived conversation.
 */
export async function findConversationBetween(
  table: MessagesTable,
  a: Pick<Participant, 'uuid'>,
  b: Pick<Participant, 'uuid'>,
): Promise<ConversationMembers | undefined> {
  const group = conversationUuidFor(a.uuid, b.uuid)
  const rows = await queryGroupRows(table, group)
  if (rows.length > 0) return requireMembers(table, group, [a.uuid, b.uuid])
  const pages = paginateQuery(
    {client: table.doc, pageSize: 500},
    {
      ExpressionAttributeValues: {':other': b.uuid, ':pk': groupPk(a.uuid)},
      FilterExpression: 'user_uuid = :other',
      KeyConditionExpression: 'pk = :pk',
      ProjectionExpression: 'pk, sk, message_group_uuid, last_message_sk',
      TableName: table.name,
    },
  )
  const found: ConversationRowItem[] = []
  for await (const page of pages) found.push(...((page.Items ?? []) as ConversationRowItem[]))
  const newest = found.sort((x, y) => compareRows(y, x) || (x.message_group_uuid < y.message_group_uuid ? -1 : 1))[0]
  return newest ? requireMembers(table, newest.message_group_uuid, [a.uuid, b.uuid]) : undefined
}

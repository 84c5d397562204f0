import {randomUUID} from 'node:crypto'

import {paginateQuery, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

import {CruddurError} from '../../errors.js'
import {conversationRow, groupPk, type MessageItem, messageItem, type Participant, timestamp} from '../items.js'
import {conversationUuidFor} from './conversation-uuid.js'
import {type ConversationMembers, type ConversationRowItem, queryGroupRows, requireMembers, requireParticipant} from './conversation-rows.js'
import {requireMessageText, requireUuid} from './input.js'
import {findSentMessage, idempotencyMarkerPut, idempotentMessageUuid} from './idempotency.js'
import {applyMessageToConversation} from './update-message-group.js'
import {type Message, messageFromItem} from './views.js'

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

export const conversationMarker = (messageGroupUuid: string, a: string, b: string, createdAt: string): ConversationMarker => ({
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
  /** The message's time (default: now). */
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

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
export async function createMessage(doc: DynamoDBDocumentClient, table: string, input: CreateMessageInput): Promise<CreateMessageResult> {
  const sender = requireParticipantInput(input.sender, 'sender')
  const text = requireMessageText(input.text)
  if ((input.recipient === undefined) === (input.messageGroupUuid === undefined)) {
    throw new CruddurError('INVALID_INPUT', 'A message goes either to a person or into a conversation: give a recipient or a message_group_uuid, not both or neither.')
  }

  const createdAt = timestamp(input.now ?? new Date())
  const idempotent = input.idempotencyKey !== undefined
  const messageUuid = idempotent ? idempotentMessageUuid(sender.uuid, input.idempotencyKey!) : randomUUID()
  const item = (messageGroupUuid: string) => messageItem({createdAt, messageGroupUuid, messageUuid, sender, text})
  // A retry finds the first attempt's message; racing retries are settled by the marker's conditional put.
  const duplicate = async () => {
    const sent = await findSentMessage(doc, table, messageUuid, sender)
    if (!sent) return undefined
    // The first attempt may have died before Pattern D: applying its message again repairs the rows.
    if (sent.item && !sent.message.deleted) await applyMessageToConversation(doc, table, sent.item)
    return {item: sent.item!, message: sent.message, messageGroupUuid: sent.messageGroupUuid, newConversation: false, duplicate: true}
  }

  if (idempotent) {
    const first = await duplicate()
    if (first) return first
  }

  if (input.messageGroupUuid !== undefined) {
    const group = requireUuid(input.messageGroupUuid, 'The conversation id')
    const members = await requireMembers(doc, table, group)
    requireParticipant(members, sender, 'post in it')
    return addMessage(doc, table, members, item(group), idempotent ? duplicate : undefined)
  }

  const recipient = requireParticipantInput(input.recipient!, 'recipient')
  if (recipient.uuid === sender.uuid) {
    throw new CruddurError('INVALID_INPUT', `@${sender.handle} cannot message themselves: pick another recipient.`)
  }

  const group = conversationUuidFor(sender.uuid, recipient.uuid)
  const first = item(group)
  const rows: ConversationRowItem[] = [
    {...conversationRow({lastMessage: text, lastMessageAt: createdAt, messageGroupUuid: group, other: recipient, owner: sender}), last_message_sk: first.sk},
    {...conversationRow({lastMessage: text, lastMessageAt: createdAt, messageGroupUuid: group, other: sender, owner: recipient}), last_message_sk: first.sk},
  ]
  const isNew = {ConditionExpression: 'attribute_not_exists(pk)', TableName: table}
  for (let attempt = 0; ; attempt++) {
    const existing = await findConversationBetween(doc, table, sender, recipient)
    if (existing) return addMessage(doc, table, existing, item(existing.messageGroupUuid), idempotent ? duplicate : undefined)
    try {
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {Put: {...isNew, Item: conversationMarker(group, sender.uuid, recipient.uuid, createdAt)}},
            ...rows.map((row) => ({Put: {...isNew, Item: row}})),
            {Put: {...isNew, Item: first}},
            ...(idempotent ? [idempotencyMarkerPut(table, first)] : []),
          ],
        }),
      )
      return {duplicate: false, item: first, message: messageFromItem(first), messageGroupUuid: group, newConversation: true}
    } catch (error) {
      const reasons = (error as {name?: string; CancellationReasons?: Array<{Code?: string}>})
      if (reasons.name !== 'TransactionCanceledException') throw error
      if (idempotent && reasons.CancellationReasons?.[4]?.Code === 'ConditionalCheckFailed') {
        const first = await duplicate()
        if (first) return first
      }

      // The marker exists: someone started this pair's conversation since we looked. Add to theirs.
      if (reasons.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return addMessage(doc, table, await requireMembers(doc, table, group, [sender.uuid, recipient.uuid]), first, idempotent ? duplicate : undefined)
      // A concurrent start still in flight (TransactionConflict): look again, it has either won or failed.
      if (attempt >= 5) throw error
      await sleep(Math.random() * 50 * 2 ** attempt)
    }
  }
}

function requireParticipantInput(participant: Participant, role: string): Participant {
  const uuid = requireUuid(participant.uuid, `The ${role}'s user id`)
  if (!participant.handle?.trim()) throw new CruddurError('INVALID_INPUT', `The ${role} has no handle.`)
  return {displayName: participant.displayName ?? participant.handle, handle: participant.handle, uuid}
}

/** Writes one message into an existing conversation; with `duplicate`, idempotently (see idempotency.ts). */
async function addMessage(
  doc: DynamoDBDocumentClient,
  table: string,
  members: ConversationMembers,
  message: MessageItem,
  duplicate?: () => Promise<CreateMessageResult | undefined>,
): Promise<CreateMessageResult> {
  if (duplicate) {
    for (let attempt = 0; ; attempt++) {
      try {
        await doc.send(new TransactWriteCommand({TransactItems: [{Put: {ConditionExpression: 'attribute_not_exists(pk)', Item: message, TableName: table}}, idempotencyMarkerPut(table, message)]}))
        break
      } catch (error) {
        const {CancellationReasons: reasons, name} = error as {name?: string; CancellationReasons?: Array<{Code?: string}>}
        if (name !== 'TransactionCanceledException' || attempt >= 8) throw error
        // The marker exists: a retry of this send got there first. Otherwise a racing retry's transaction
        // was in flight (TransactionConflict): look again once it has committed or failed.
        if (reasons?.[1]?.Code === 'ConditionalCheckFailed' || reasons?.[1]?.Code === 'TransactionConflict') {
          const first = await duplicate()
          if (first) return first
        }

        await sleep(Math.random() * 20 * 2 ** attempt)
      }
    }
  } else {
    await doc.send(new PutCommand({ConditionExpression: 'attribute_not_exists(pk)', Item: message, TableName: table}))
  }

  try {
    await applyMessageToConversation(doc, table, message)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new CruddurError('FAILED', `Message ${message.message_uuid} was saved in conversation ${members.messageGroupUuid}, but its conversation rows were not updated (${reason}): run \`cruddur ddb patterns update-message-group ${members.messageGroupUuid}\`.`, {cause: error})
  }

  return {duplicate: false, item: message, message: messageFromItem(message), messageGroupUuid: members.messageGroupUuid, newConversation: false}
}

/**
 * The conversation two users already share. First the pair's deterministic id (one index query); then,
 * for conversations made before ids were derived from the pair (seeded ones have random ids), the sender's
 * conversation rows filtered on the other user: that reads the sender's whole list, but only when no
 * conversation with the deterministic id exists, that is once per new pair.
 */
export async function findConversationBetween(
  doc: DynamoDBDocumentClient,
  table: string,
  a: Pick<Participant, 'uuid'>,
  b: Pick<Participant, 'uuid'>,
): Promise<ConversationMembers | undefined> {
  const group = conversationUuidFor(a.uuid, b.uuid)
  const rows = await queryGroupRows(doc, table, group)
  if (rows.length > 0) return requireMembers(doc, table, group, [a.uuid, b.uuid])
  const pages = paginateQuery(
    {client: doc, pageSize: 500},
    {
      ExpressionAttributeValues: {':other': b.uuid, ':pk': groupPk(a.uuid)},
      FilterExpression: 'user_uuid = :other',
      KeyConditionExpression: 'pk = :pk',
      ProjectionExpression: 'message_group_uuid',
      TableName: table,
    },
  )
  for await (const page of pages) {
    const found = page.Items?.[0] as {message_group_uuid?: string} | undefined
    if (found?.message_group_uuid) return requireMembers(doc, table, found.message_group_uuid, [a.uuid, b.uuid])
  }

  return undefined
}


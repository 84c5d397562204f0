import {randomUUID} from 'node:crypto'

import {GetCommand, paginateQuery, TransactWriteCommand} from '@aws-sdk/lib-dynamodb'

import {CruddurError} from '../../errors.js'
import {
  conversationMarkerKey,
  conversationRow,
  groupPk,
  type MessageItem,
  messageItem,
  type Participant,
} from '../items.js'
import {formatKeyTime, type Micros, microsOfDate, nextKeyTime, nowMicros} from '../key-time.js'
import {conversationUuidFor} from './conversation-uuid.js'
import {
  compareRows,
  type ConversationMembers,
  type ConversationRowItem,
  membersOf,
  queryGroupRows,
  queryGroupRowsConsistently,
  requireMembers,
  requireParticipant,
} from './conversation-rows.js'
import {requireMessageText, requireOtherRecipient, requireUuid} from './input.js'
import {findSentMessage, idempotencyMarkerPut, idempotentMessageUuid} from './idempotency.js'
import {
  applyMessageToConversation,
  cancellationCode,
  type TransactItem,
  unchangedCondition,
} from './update-message-group.js'
import {type Message, messageFromItem} from './views.js'
import {backoff} from '../../sleep.js'
import type {MessagesTable} from '../messages-table.js'

/**
 * The item that makes "start a conversation" happen once per pair. Conversation rows cannot carry the
 * guarantee (their keys hold the time of the last message, so two starts write different keys); this item's
 * key is fixed by the pair's deterministic message_group_uuid, and the start transaction puts it only if it
 * does not exist. It has no message_group_uuid attribute, so the index stays sparse.
 */
export interface ConversationMarker {
  pk: string
  sk: string
  participant_uuids: [string, string]
  created_at: string
  /**
   * Bumped by every message a send writes, in the message's own transaction: removing the conversation
   * (last message hard-deleted, delete-conversation) is conditional on the version it read before it looked
   * for messages, so it loses to any send that landed since. Markers written without it count as unversioned.
   */
  version?: number
}

export const conversationMarker = (
  messageGroupUuid: string,
  a: string,
  b: string,
  createdAt: string,
): ConversationMarker => ({
  created_at: createdAt,
  participant_uuids: [a, b].sort() as [string, string],
  ...conversationMarkerKey(messageGroupUuid),
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

/** The conversation's marker, read consistently: a removal reads it before anything else it decides on. */
export async function readMarker(
  table: MessagesTable,
  messageGroupUuid: string,
): Promise<ConversationMarker | undefined> {
  const output = await table.doc.send(
    new GetCommand({ConsistentRead: true, Key: conversationMarkerKey(messageGroupUuid), TableName: table.name}),
  )
  return output.Item as ConversationMarker | undefined
}

/** The condition that the marker is still as `seen` read it (absent, unversioned, or at its version). */
export function markerUnchanged(seen: ConversationMarker | undefined) {
  if (!seen) return {ConditionExpression: 'attribute_not_exists(pk)'}
  const names = {ExpressionAttributeNames: {'#version': 'version'}}
  if (seen.version === undefined)
    return {ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#version)', ...names}
  return {ConditionExpression: '#version = :version', ...names, ExpressionAttributeValues: {':version': seen.version}}
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
    const added = await addMessage(table, members, item(group), duplicate)
    if (added) return added
    throw new CruddurError(
      'NOT_FOUND',
      `Conversation ${group} was removed while the message was being sent: nothing was written.`,
      {hint: {step: 'list-conversations'}},
    )
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
    // Undefined: the conversation was removed after we found it, so this send starts the pair's one.
    const added = existing && (await addMessage(table, existing, item(existing.messageGroupUuid), duplicate))
    if (added) return added
    if (existing) continue
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
            {Put: {...isNew, Item: {...conversationMarker(group, sender.uuid, recipient.uuid, first.sk), version: 1}}},
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
      if (taken(0)) {
        const members = await membersIfStillThere(table, group, [sender.uuid, recipient.uuid])
        // Undefined: a removal emptied it again since; the next attempt starts it anew.
        const added = members && (await addMessage(table, members, first, duplicate))
        if (added) return added
        continue
      }

      // An owner already has a row at this time (another conversation): that row's time moves on.
      if (taken(1) || taken(2) || taken(3)) {
        if (taken(1)) rowBumps[0]++
        if (taken(2)) rowBumps[1]++
        if (taken(3)) messageBump++
        continue
      }

      // A concurrent start still in flight (TransactionConflict): look again, it has either won or failed.
      if (attempt >= 5) throw error
      await backoff(attempt, {baseMs: 50, capMs: 800})
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
 * Puts a message into an existing conversation under a free key, in one transaction with the bump of the
 * conversation's marker version (conditional on the marker existing): a removal of the conversation that
 * read the marker before this send then fails, and one that committed first makes this fail, and the send
 * finds no conversation. A conversation without a marker (the app's, the seed's) gets one here, conditional
 * on its rows still being as read. When another message of the conversation has the key (sent in the same
 * microsecond) the time moves on by one microsecond: nothing is overwritten. With `duplicate`, the send is
 * idempotent: its idempotency marker goes in the same transaction (see idempotency.ts), and a taken one means
 * a retry of this send got there first, whose message is returned instead. Undefined: the conversation is gone.
 */
async function putMessage(
  table: MessagesTable,
  members: ConversationMembers,
  message: MessageItem,
  duplicate?: () => Promise<CreateMessageResult | undefined>,
): Promise<MessageItem | CreateMessageResult | undefined> {
  const group = members.messageGroupUuid
  const [a, b] = members.participants.map((p) => p.uuid)
  let item = message
  let rows = members.rows
  let markerExists = true
  for (let tries = 0; tries < MAX_KEY_TRIES; tries++) {
    const markerWrite: TransactItem = markerExists
      ? {
          Update: {
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: {'#version': 'version'},
            ExpressionAttributeValues: {':one': 1},
            Key: conversationMarkerKey(group),
            TableName: table.name,
            UpdateExpression: 'ADD #version :one',
          },
        }
      : {
          Put: {
            ConditionExpression: 'attribute_not_exists(pk)',
            Item: {...conversationMarker(group, a, b, item.sk), version: 1},
            TableName: table.name,
          },
        }
    // Creating the marker: the conversation's rows must still be there (a removal takes them with the marker).
    const rowChecks: TransactItem[] = markerExists
      ? []
      : rows.map((row) => ({
          ConditionCheck: {Key: {pk: row.pk, sk: row.sk}, TableName: table.name, ...unchangedCondition(row)},
        }))
    const idempotencyIndex = 2 + rowChecks.length
    try {
      await table.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {Put: {ConditionExpression: 'attribute_not_exists(pk)', Item: item, TableName: table.name}},
            markerWrite,
            ...rowChecks,
            ...(duplicate ? [idempotencyMarkerPut(table, item)] : []),
          ],
        }),
      )
      return item
    } catch (error) {
      if ((error as {name?: string}).name !== 'TransactionCanceledException') throw error
      const code = (index: number) => cancellationCode(error, index)
      const failed = (index: number) => code(index) === 'ConditionalCheckFailed'
      if (duplicate && (failed(idempotencyIndex) || code(idempotencyIndex) === 'TransactionConflict')) {
        const first = await duplicate()
        if (first) return first
      }

      if (failed(0)) item = {...item, sk: nextKeyTime(item.sk)}
      // Absent when we bumped it: create it, or learn from the rows that the conversation is gone. Present
      // when we created it: a racing send created it first.
      if (failed(1)) markerExists = !markerExists
      if (rowChecks.some((_, index) => failed(2 + index))) {
        const found = await queryGroupRowsConsistently(table, group, [a, b])
        if (found.length === 0) return undefined
        // A row caught in the middle of its move reads as no pair: read again after the backoff.
        rows = membersOf(group, found)?.rows ?? rows
      }

      if (!failed(0) && !failed(1)) await backoff(tries, {baseMs: 20, capMs: 1280})
    }
  }

  throw new CruddurError(
    'CONFLICT',
    `Could not save message ${message.message_uuid}: ${MAX_KEY_TRIES} tries lost to other writers. ` +
      `Try again${duplicate ? ' with the same idempotency key' : ''}.`,
  )
}

/** Writes one message into an existing conversation; with `duplicate`, idempotently. Undefined: it was removed. */
async function addMessage(
  table: MessagesTable,
  members: ConversationMembers,
  unsaved: MessageItem,
  duplicate?: () => Promise<CreateMessageResult | undefined>,
): Promise<CreateMessageResult | undefined> {
  const saved = await putMessage(table, members, unsaved, duplicate)
  if (!saved || 'duplicate' in saved) return saved
  const message = saved
  try {
    await applyMessageToConversation(table, message)
  } catch (error) {
    // Rows gone and the message with them: the whole conversation was deleted after the message landed.
    if (error instanceof CruddurError && error.code === 'NOT_FOUND' && !(await messageStillThere(table, message)))
      throw new CruddurError(
        'NOT_FOUND',
        `Conversation ${members.messageGroupUuid} was deleted while message ${message.message_uuid} ` +
          `was being sent: the message went with it.`,
        {cause: error, hint: {step: 'list-conversations'}},
      )
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

async function messageStillThere(table: MessagesTable, message: MessageItem): Promise<boolean> {
  const key = {pk: message.pk, sk: message.sk}
  return Boolean((await table.doc.send(new GetCommand({ConsistentRead: true, Key: key, TableName: table.name}))).Item)
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
  if (rows.length > 0) return membersIfStillThere(table, group, [a.uuid, b.uuid])
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
  return newest ? membersIfStillThere(table, newest.message_group_uuid, [a.uuid, b.uuid]) : undefined
}

/**
 * The members of a conversation just seen (in the index, or by its marker), or undefined when a removal racing
 * this send has emptied it since: the send then starts the pair's conversation again instead of failing.
 */
async function membersIfStillThere(
  table: MessagesTable,
  group: string,
  participantUuids: string[],
): Promise<ConversationMembers | undefined> {
  try {
    return await requireMembers(table, group, participantUuids)
  } catch (error) {
    if (error instanceof CruddurError && error.code === 'NOT_FOUND') return undefined
    throw error
  }
}

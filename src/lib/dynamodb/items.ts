import {canonicalKeyTime, formatKeyTime, microsOfDate} from './key-time.js'

/**
 * The two kinds of item in `cruddur-messages` and their keys, as the Cruddur app reads them: a sort key is a
 * time alone (the app shows a message's `sk` as its `created_at`, a row's as its `last_message_at`), written
 * in the app's own format, always UTC with six fractional digits: `2026-11-29T11:51:56.529847+00:00`
 * (key-time.ts). In that form string order is time order.
 *
 * | item             | pk                       | sk                 | in the GSI |
 * | conversation row | GRP#<owner user_uuid>    | <last_message_at>  | yes        |
 * | message          | MSG#<message_group_uuid> | <created_at>       | no         |
 *
 * With no id in the key, uniqueness comes from the writes: each is conditional on its key being free, and on
 * a collision the time moves on by one microsecond (two messages of one conversation in one microsecond are
 * both kept; two conversations of one owner whose last messages share a microsecond both keep their row).
 * Messages carry no `message_group_uuid` attribute, so the index `message-group-sk-index` is sparse: it
 * holds exactly the conversation rows.
 */
export const GROUP_PREFIX = 'GRP#'
export const MESSAGE_PREFIX = 'MSG#'
/** The markers beside them: a conversation's (patterns/create-message.ts), an idempotent send's (idempotency.ts). */
export const CONVERSATION_MARKER_PREFIX = 'CONV#'
export const CONVERSATION_MARKER_SK = 'CONV'
export const IDEMPOTENCY_PREFIX = 'IDEM#'
export const IDEMPOTENCY_SK = 'IDEM'

/** A participant as the items store them. */
export interface Participant {
  uuid: string
  handle: string
  displayName: string
}

/** One per participant: the owner's view of a conversation, holding the *other* participant. */
export interface ConversationRow {
  pk: string
  sk: string
  message_group_uuid: string
  message: string
  deleted_at?: string
  user_uuid: string
  user_display_name: string
  user_handle: string
}

/**
 * One message; user_* is the sender. A deleted message (a tombstone) keeps its place and sender but not its
 * text: `message` holds DELETED_MESSAGE_TEXT and `deleted_at` is set. A row showing it has the same two changes.
 */
export interface MessageItem {
  pk: string
  sk: string
  message_uuid: string
  message: string
  deleted_at?: string
  user_uuid: string
  user_display_name: string
  user_handle: string
}

/**
 * What a tombstone, and a row showing one, hold in `message` (and what people see for a deleted message): the
 * Cruddur app and its course Lambda read `message` on every item, so it stays, without the user's text. Whether
 * an item is deleted is told by `deleted_at` alone: a message can really say this.
 */
export const DELETED_MESSAGE_TEXT = '(message deleted)'

export const groupPk = (ownerUuid: string) => `${GROUP_PREFIX}${ownerUuid}`
export const messagePk = (messageGroupUuid: string) => `${MESSAGE_PREFIX}${messageGroupUuid}`
export const conversationMarkerPk = (messageGroupUuid: string) => `${CONVERSATION_MARKER_PREFIX}${messageGroupUuid}`
export const conversationMarkerKey = (messageGroupUuid: string) => ({
  pk: conversationMarkerPk(messageGroupUuid),
  sk: CONVERSATION_MARKER_SK,
})
export const idempotencyMarkerKey = (messageUuid: string) => ({
  pk: `${IDEMPOTENCY_PREFIX}${messageUuid}`,
  sk: IDEMPOTENCY_SK,
})
/** A message's sort key: its creation time, canonical. */
export const messageSk = (createdAt: string) => canonicalKeyTime(createdAt)
/** A conversation row's sort key: the time of the message it shows, canonical. */
export const conversationSk = (lastMessageAt: string) => canonicalKeyTime(lastMessageAt)

/** The time of a sort key in the canonical form, whatever form it was written in (the one `--json` prints). */
export const sortKeyTime = (item: Pick<MessageItem | ConversationRow, 'sk'>) => canonicalKeyTime(item.sk)
export const messageGroupUuidOf = (item: Pick<MessageItem, 'pk'>) => item.pk.slice(MESSAGE_PREFIX.length)

/** A date as a key time, e.g. 2026-11-24T15:49:00.123000+00:00. */
export const timestamp = (date: Date = new Date()) => formatKeyTime(microsOfDate(date))

export function messageItem(input: {
  messageGroupUuid: string
  messageUuid: string
  createdAt: string
  text: string
  sender: Participant
}): MessageItem {
  return {
    message: input.text,
    message_uuid: input.messageUuid,
    pk: messagePk(input.messageGroupUuid),
    sk: messageSk(input.createdAt),
    user_display_name: input.sender.displayName,
    user_handle: input.sender.handle,
    user_uuid: input.sender.uuid,
  }
}

/** The owner's row for a conversation with `other`, showing the last message. */
export function conversationRow(input: {
  owner: Pick<Participant, 'uuid'>
  other: Participant
  messageGroupUuid: string
  lastMessage: string
  lastMessageAt: string
}): ConversationRow {
  return {
    message: input.lastMessage,
    message_group_uuid: input.messageGroupUuid,
    pk: groupPk(input.owner.uuid),
    sk: conversationSk(input.lastMessageAt),
    user_display_name: input.other.displayName,
    user_handle: input.other.handle,
    user_uuid: input.other.uuid,
  }
}

export const isMessageItem = (item: {pk?: unknown}): boolean =>
  typeof item.pk === 'string' && item.pk.startsWith(MESSAGE_PREFIX)
export const isConversationRow = (item: {pk?: unknown}): boolean =>
  typeof item.pk === 'string' && item.pk.startsWith(GROUP_PREFIX)

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** A uuid, in either case, with whitespace around it allowed (as typed on a command line). */
export const isUuid = (value: string) => UUID.test(value.trim())

export const isDeletedMessage = (item: {deleted_at?: unknown}): boolean => typeof item.deleted_at === 'string'

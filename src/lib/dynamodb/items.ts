/**
 * The two kinds of item in `cruddur-messages` and their keys. Timestamps are UTC ISO-8601 with
 * milliseconds, so string order is time order.
 *
 * | item             | pk                       | sk                                  | in the GSI |
 * | conversation row | GRP#<owner user_uuid>    | <last_message_at>#<message_group_uuid> | yes     |
 * | message          | MSG#<message_group_uuid> | <created_at>#<message_uuid>         | no         |
 *
 * Both sort keys start with the time and end with an id: two messages written in the same millisecond are
 * both kept (in a stable order), and two conversations of one user whose last messages share a millisecond
 * never overwrite each other. Messages carry no `message_group_uuid` attribute, so the index
 * `message-group-sk-index` is sparse: it holds exactly the two conversation rows of each conversation.
 */
export const GROUP_PREFIX = 'GRP#'
export const MESSAGE_PREFIX = 'MSG#'

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
 * One message; user_* is the sender. A deleted message (a tombstone) keeps its place and sender but has no
 * text: `message` is removed and `deleted_at` set. A row showing it has the same two changes.
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

export const groupPk = (ownerUuid: string) => `${GROUP_PREFIX}${ownerUuid}`
export const messagePk = (messageGroupUuid: string) => `${MESSAGE_PREFIX}${messageGroupUuid}`
export const messageSk = (createdAt: string, messageUuid: string) => `${createdAt}#${messageUuid}`
export const conversationSk = (lastMessageAt: string, messageGroupUuid: string) => `${lastMessageAt}#${messageGroupUuid}`

/** The time at the front of a sort key: a message's creation, a conversation row's last message. */
export const sortKeyTime = (item: Pick<MessageItem | ConversationRow, 'sk'>) => item.sk.split('#')[0]
export const messageGroupUuidOf = (item: Pick<MessageItem, 'pk'>) => item.pk.slice(MESSAGE_PREFIX.length)

/** UTC ISO-8601 with milliseconds, e.g. 2026-11-24T15:49:00.123Z. */
export const timestamp = (date: Date = new Date()) => date.toISOString()

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
    sk: messageSk(input.createdAt, input.messageUuid),
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
    sk: conversationSk(input.lastMessageAt, input.messageGroupUuid),
    user_display_name: input.other.displayName,
    user_handle: input.other.handle,
    user_uuid: input.other.uuid,
  }
}

export const isMessageItem = (item: {pk?: unknown}): boolean => typeof item.pk === 'string' && item.pk.startsWith(MESSAGE_PREFIX)
export const isConversationRow = (item: {pk?: unknown}): boolean => typeof item.pk === 'string' && item.pk.startsWith(GROUP_PREFIX)

export const isDeletedMessage = (item: {deleted_at?: unknown}): boolean => typeof item.deleted_at === 'string'

import {
  type ConversationRow,
  DELETED_MESSAGE_TEXT,
  isDeletedMessage,
  type MessageItem,
  messageGroupUuidOf,
  type Participant,
  sortKeyTime,
} from '../items.js'
import {canonicalKeyTime} from '../key-time.js'

/**
 * A message as the patterns return it (and `--json` prints it); times in the canonical UTC form, whatever the
 * key's. A deleted one has `deleted: true` and no text.
 */
export interface Message {
  messageGroupUuid: string
  messageUuid: string
  createdAt: string
  text?: string
  deleted?: true
  deletedAt?: string
  sender: Participant
}

/** One line of a user's conversation list: who it is with, and its last message. */
export interface Conversation {
  messageGroupUuid: string
  with: Participant
  /** Absent when the last message was deleted (`lastMessageDeleted: true`). */
  lastMessage?: string
  lastMessageDeleted?: true
  lastMessageAt: string
}

/** The shown text of a message or of a row's last message: the text, or the deleted marker. */
export const shownText = (text: string | undefined) => text ?? DELETED_MESSAGE_TEXT

export const messageFromItem = (item: MessageItem): Message => ({
  createdAt: sortKeyTime(item),
  messageGroupUuid: messageGroupUuidOf(item),
  messageUuid: item.message_uuid,
  sender: {displayName: item.user_display_name, handle: item.user_handle, uuid: item.user_uuid},
  ...(isDeletedMessage(item) ? {deleted: true, deletedAt: item.deleted_at} : {text: item.message}),
})

export const conversationFromRow = (row: ConversationRow & {last_message_sk?: string}): Conversation => ({
  ...(isDeletedMessage(row) ? {lastMessageDeleted: true} : {lastMessage: row.message}),
  // The shown message's own time: the row's key may have moved on a microsecond to stay unique.
  lastMessageAt: canonicalKeyTime(row.last_message_sk ?? row.sk),
  messageGroupUuid: row.message_group_uuid,
  with: {displayName: row.user_display_name, handle: row.user_handle, uuid: row.user_uuid},
})

import {type ConversationRow, type MessageItem, messageGroupUuidOf, type Participant, sortKeyTime} from '../items.js'
import {canonicalKeyTime} from '../key-time.js'

/** A message as the patterns return it (and `--json` prints it); times in the canonical UTC form, whatever the key's. */
export interface Message {
  messageGroupUuid: string
  messageUuid: string
  createdAt: string
  text: string
  sender: Participant
}

/** One line of a user's conversation list: who it is with, and its last message. */
export interface Conversation {
  messageGroupUuid: string
  with: Participant
  lastMessage: string
  lastMessageAt: string
}

export const messageFromItem = (item: MessageItem): Message => ({
  createdAt: sortKeyTime(item),
  messageGroupUuid: messageGroupUuidOf(item),
  messageUuid: item.message_uuid,
  sender: {displayName: item.user_display_name, handle: item.user_handle, uuid: item.user_uuid},
  text: item.message,
})

export const conversationFromRow = (row: ConversationRow & {last_message_sk?: string}): Conversation => ({
  lastMessage: row.message,
  // The shown message's own time: the row's key may have moved on a microsecond to stay unique.
  lastMessageAt: canonicalKeyTime(row.last_message_sk ?? row.sk),
  messageGroupUuid: row.message_group_uuid,
  with: {displayName: row.user_display_name, handle: row.user_handle, uuid: row.user_uuid},
})

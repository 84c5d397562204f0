import {type MessageItem, messagePk} from '../items.js'
import {requireMembers, requireParticipant} from './conversation-rows.js'
import {decodeCursor, requirePageSize, requireUuid} from './input.js'
import {type Page, queryPartitionPage} from './page.js'
import {cacheKeys, readPageThrough} from '../../momento/cache-aside.js'
import {type Message, messageFromItem} from './views.js'
import type {MessagesTable} from '../messages-table.js'

export interface ConversationPage {
  messages: Message[]
  nextCursor: string | null
  /** Set when the table has a cache: whether this page came from it. */
  fromCache?: boolean
}

/**
 * Pattern A: one page of a conversation's messages, newest first. One Query on the base table (`pk = MSG#<group>`,
 * descending sk), no time filter: every message of every year is reachable by paging. With `asUser` (a user uuid, or
 * the user with their handle for the error message) it reads on that user's behalf and refuses a conversation they are
 * not in; without, it reads as an operator. With a cache on the table, the first page is read cache-aside, under the
 * reader's own key (a hit needs no membership check: the entry exists only once the reader passed it).
 */
export async function getConversation(
  table: MessagesTable,
  messageGroupUuid: string,
  options: ConversationPageOptions = {},
): Promise<ConversationPage> {
  if (!table.cache) return readConversation(table, messageGroupUuid, options)
  const reader = typeof options.asUser === 'string' ? options.asUser : options.asUser?.uuid
  const {fromCache, value} = await readPageThrough(
    table.cache,
    cacheKeys.messages(messageGroupUuid, reader),
    options,
    () => readConversation(table, messageGroupUuid, options),
  )
  return {...value, fromCache}
}

type ConversationPageOptions = Page & {asUser?: string | {uuid: string; handle?: string}}

async function readConversation(
  table: MessagesTable,
  messageGroupUuid: string,
  options: ConversationPageOptions,
): Promise<ConversationPage> {
  const group = requireUuid(messageGroupUuid, 'The conversation id')
  requirePageSize(options.limit)
  decodeCursor(options.cursor, messagePk(group))
  if (options.asUser !== undefined) {
    const asUser = typeof options.asUser === 'string' ? {uuid: options.asUser} : options.asUser
    const reader = {...asUser, uuid: requireUuid(asUser.uuid, 'The reading user id')}
    requireParticipant(await requireMembers(table, group), reader, 'read it')
  }

  const page = await queryPartitionPage<MessageItem>(table, messagePk(group), options)
  // An empty first page: an unknown conversation is NOT_FOUND (one with rows but no messages yet is empty).
  if (page.items.length === 0 && page.firstPage && options.asUser === undefined) await requireMembers(table, group)
  return {messages: page.items.map(messageFromItem), nextCursor: page.nextCursor}
}

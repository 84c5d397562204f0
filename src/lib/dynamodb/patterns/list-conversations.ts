import {groupPk} from '../items.js'
import type {ConversationRowItem} from './conversation-rows.js'
import {requireUuid} from './input.js'
import {type Page, queryPartitionPage} from './page.js'
import {cacheKeys, readPageThrough} from '../../momento/cache-aside.js'
import {type Conversation, conversationFromRow} from './views.js'
import type {MessagesTable} from '../messages-table.js'

export interface ConversationListPage {
  conversations: Conversation[]
  nextCursor: string | null
  /** Set when the table has a cache: whether this page came from it. */
  fromCache?: boolean
}

/**
 * Pattern B: one page of a user's conversations, the most recent last message first. One Query on the base
 * table (`pk = GRP#<user>`, descending sk, which starts with the last message's time), no time filter.
 * With a cache on the table, the first page is read cache-aside.
 */
export async function listConversations(
  table: MessagesTable,
  userUuid: string,
  options: Page = {},
): Promise<ConversationListPage> {
  if (!table.cache) return readConversationList(table, userUuid, options)
  const {fromCache, value} = await readPageThrough(table.cache, cacheKeys.conversations(userUuid), options, () =>
    readConversationList(table, userUuid, options),
  )
  return {...value, fromCache}
}

async function readConversationList(
  table: MessagesTable,
  userUuid: string,
  options: Page,
): Promise<ConversationListPage> {
  const user = requireUuid(userUuid, 'The user id')
  const page = await queryPartitionPage<ConversationRowItem>(table, groupPk(user), options)
  return {conversations: page.items.map(conversationFromRow), nextCursor: page.nextCursor}
}

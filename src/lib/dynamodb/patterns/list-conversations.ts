import type {DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

import {groupPk} from '../items.js'
import type {ConversationRowItem} from './conversation-rows.js'
import {requireUuid} from './input.js'
import {type Page, queryPartitionPage} from './page.js'
import {type Conversation, conversationFromRow} from './views.js'

export interface ConversationListPage {
  conversations: Conversation[]
  nextCursor: string | null
}

/**
 * Pattern B: one page of a user's conversations, the most recent last message first. One Query on the base
 * table (`pk = GRP#<user>`, descending sk, which starts with the last message's time), no time filter.
 */
export async function listConversations(
  doc: DynamoDBDocumentClient,
  table: string,
  userUuid: string,
  options: Page = {},
): Promise<ConversationListPage> {
  const user = requireUuid(userUuid, 'The user id')
  const page = await queryPartitionPage<ConversationRowItem>(doc, table, groupPk(user), options)
  return {conversations: page.items.map(conversationFromRow), nextCursor: page.nextCursor}
}

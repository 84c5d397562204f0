import type {DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

import {type MessageItem, messagePk} from '../items.js'
import {requireMembers, requireParticipant} from './conversation-rows.js'
import {decodeCursor, requirePageSize, requireUuid} from './input.js'
import {type Page, queryPartitionPage} from './page.js'
import {type Message, messageFromItem} from './views.js'

export interface ConversationPage {
  messages: Message[]
  nextCursor: string | null
}

/**
 * Pattern A: one page of a conversation's messages, newest first. One Query on the base table
 * (`pk = MSG#<group>`, descending sk), no time filter: every message of every year is reachable by paging.
 * With `asUser` (a user uuid, or the user with their handle for the error message) it reads on that user's behalf and refuses a conversation they are not in;
 * without, it reads as an operator.
 */
export async function getConversation(
  doc: DynamoDBDocumentClient,
  table: string,
  messageGroupUuid: string,
  options: Page & {asUser?: string | {uuid: string; handle?: string}} = {},
): Promise<ConversationPage> {
  const group = requireUuid(messageGroupUuid, 'The conversation id')
  requirePageSize(options.limit)
  decodeCursor(options.cursor, messagePk(group))
  if (options.asUser !== undefined) {
    const asUser = typeof options.asUser === 'string' ? {uuid: options.asUser} : options.asUser
    const reader = {...asUser, uuid: requireUuid(asUser.uuid, 'The reading user id')}
    requireParticipant(await requireMembers(doc, table, group), reader, 'read it')
  }

  const page = await queryPartitionPage<MessageItem>(doc, table, messagePk(group), options)
  // An empty first page: an unknown conversation is NOT_FOUND (one with rows but no messages yet is empty).
  if (page.items.length === 0 && page.firstPage && options.asUser === undefined) await requireMembers(doc, table, group)
  return {messages: page.items.map(messageFromItem), nextCursor: page.nextCursor}
}

import {paginateQuery, type QueryCommandInput} from '@aws-sdk/lib-dynamodb'

import {CruddurError} from '../../errors.js'
import {groupPk, type MessageItem, messagePk, type Participant} from '../items.js'
import {type ConversationRowItem, queryGroupRowsConsistently, requireMembers} from './conversation-rows.js'
import {removeMessage, rowShows} from './delete-message.js'
import {requireUuid} from './input.js'
import type {MessagesTable} from '../messages-table.js'

export interface EraseUserOptions {
  /** Remove the messages instead of leaving tombstones. */
  hard?: boolean
  /** Count what would change, write nothing. */
  dryRun?: boolean
  /** Told after each conversation. */
  onConversation?: (done: number, total: number) => void
}

export interface ErasedConversation {
  messageGroupUuid: string
  participantUuids: string[]
  messages: number
  rowsUpdated: number
  removed: boolean
}

export interface EraseUserResult {
  user: Pick<Participant, 'handle' | 'uuid'>
  hard: boolean
  dryRun: boolean
  /** Conversations the user is in (their conversation rows). */
  conversationsSeen: number
  /** Conversations where something was (or, with dryRun, would be) changed. */
  conversations: ErasedConversation[]
  messages: number
  rowsUpdated: number
  /** Conversations left as they were, whose rows are broken (not one per participant): repair, then run again. */
  skipped: Array<{messageGroupUuid: string; problem: string}>
  /** The user's row in PostgreSQL is never touched by this. */
  postgres: 'untouched'
}

/** Every item of a Query, read consistently. */
async function queryAll<T>(table: MessagesTable, input: Omit<QueryCommandInput, 'TableName'>): Promise<T[]> {
  const items: T[] = []
  for await (const page of paginateQuery(
    {client: table.doc, pageSize: 500},
    {ConsistentRead: true, TableName: table.name, ...input},
  ))
    items.push(...((page.Items ?? []) as T[]))
  return items
}

/**
 * Erases a user's messages from DynamoDB: in every conversation they are in (found through their own
 * conversation rows, one Query, never a table scan), each message they sent becomes a tombstone (or, hard,
 * is removed), oldest first, each with the reverse of Pattern D, so the newest is handled last and both
 * participants' rows end at the newest remaining message, showing no text of theirs.
 *
 * Resumable: what was erased is not found again (soft: only messages with text are read), so a run killed
 * half-way and started again finishes the rest. The user's PostgreSQL row is not touched.
 */
export async function eraseUser(
  table: MessagesTable,
  user: Pick<Participant, 'handle' | 'uuid'>,
  options: EraseUserOptions = {},
): Promise<EraseUserResult> {
  const userUuid = requireUuid(user.uuid, 'The user id')
  const hard = Boolean(options.hard)
  const ownRows = await queryAll<ConversationRowItem>(table, {
    ExpressionAttributeValues: {':pk': groupPk(userUuid)},
    KeyConditionExpression: 'pk = :pk',
  })
  const groups = [...new Set(ownRows.map((row) => row.message_group_uuid))]
  const result: EraseUserResult = {
    conversations: [],
    conversationsSeen: groups.length,
    dryRun: Boolean(options.dryRun),
    hard,
    messages: 0,
    postgres: 'untouched',
    rowsUpdated: 0,
    skipped: [],
    user: {handle: user.handle, uuid: userUuid},
  }

  for (const [index, group] of groups.entries()) {
    // A conversation with broken rows (the course Lambda's) cannot be brought up to date: the others still are.
    const members = await requireMembers(table, group, [userUuid]).catch((error: unknown) => {
      if (!(error instanceof CruddurError) || !['CONFLICT', 'NOT_FOUND'].includes(error.code)) throw error
      if (error.code === 'CONFLICT') result.skipped.push({messageGroupUuid: group, problem: error.message})
      return undefined // NOT_FOUND: removed since its row was read, nothing of theirs is left in it
    })
    if (!members) {
      options.onConversation?.(index + 1, groups.length)
      continue
    }

    // Soft: tombstones are done already; hard: every message of theirs, tombstones included.
    const sent = await queryAll<MessageItem>(table, {
      ExpressionAttributeValues: {':pk': messagePk(group), ':user': userUuid},
      FilterExpression: hard ? 'user_uuid = :user' : 'user_uuid = :user AND attribute_not_exists(deleted_at)',
      KeyConditionExpression: 'pk = :pk',
    })
    const participantUuids = members.participants.map((p) => p.uuid)
    const done: ErasedConversation = {
      messageGroupUuid: group,
      messages: 0,
      participantUuids,
      removed: false,
      rowsUpdated: 0,
    }
    if (options.dryRun) {
      const rows = await queryGroupRowsConsistently(table, group, participantUuids)
      done.messages = sent.length
      done.rowsUpdated = rows.filter((row) => sent.some((message) => rowShows(row, message))).length
    } else {
      for (const message of sent) {
        const removed = await removeMessage(table, members, message, {hard})
        if (!removed.alreadyDeleted) done.messages++
        done.rowsUpdated += removed.rowsUpdated
        done.removed ||= removed.conversationRemoved
      }
    }

    if (done.messages > 0 || done.rowsUpdated > 0) {
      result.conversations.push(done)
      result.messages += done.messages
      result.rowsUpdated += done.rowsUpdated
    }

    options.onConversation?.(index + 1, groups.length)
  }

  return result
}

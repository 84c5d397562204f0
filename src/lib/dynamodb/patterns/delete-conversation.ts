import {paginateQuery, TransactWriteCommand} from '@aws-sdk/lib-dynamodb'

import {CruddurError} from '../../errors.js'
import {batchWriteAll} from '../batch-write.js'
import {conversationMarkerKey, messagePk} from '../items.js'
import {ownerUuidOf, queryGroupRows, queryGroupRowsConsistently} from './conversation-rows.js'
import {markerUnchanged, readMarker} from './create-message.js'
import {requireUuid} from './input.js'
import {isContention, unchangedCondition} from './update-message-group.js'
import {backoff, MAX_RACE_ATTEMPTS} from '../../sleep.js'
import type {MessagesTable} from '../messages-table.js'

export interface DeleteConversationResult {
  messageGroupUuid: string
  messagesDeleted: number
  rowsDeleted: number
  markerDeleted: boolean
  /** Both participants (from the rows or the marker), for cache refreshes. */
  participantUuids: string[]
}

/**
 * Deletes a whole conversation: every message, then both conversation rows and the marker in one
 * transaction. The rows and the marker go last, so a run interrupted half-way leaves a conversation that
 * still lists and still has its id: running it again deletes what is left and finishes. That transaction is
 * conditional on the rows and on the marker's version as read before the messages were: a send landing
 * meanwhile cancels it, and the messages are deleted again, so no message is ever left without its rows.
 */
export async function deleteConversation(
  table: MessagesTable,
  messageGroupUuid: string,
  options: {onDeleted?: (count: number) => void} = {},
): Promise<DeleteConversationResult> {
  const group = requireUuid(messageGroupUuid, 'The conversation id')
  let messagesDeleted = 0
  for (let attempt = 0; attempt < MAX_RACE_ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt)
    // First: a send that lands after this read bumps the marker's version.
    const marker = await readMarker(table, group)
    const indexed = await queryGroupRows(table, group)
    const participantUuids = [
      ...new Set([
        ...(marker?.participant_uuids ?? []),
        ...indexed.flatMap((row) => [ownerUuidOf(row), row.user_uuid]),
      ]),
    ]
    // The index may lag: the rows to delete are read from the table when the participants are known.
    const rows =
      participantUuids.length > 0 ? await queryGroupRowsConsistently(table, group, participantUuids) : indexed
    messagesDeleted += await deleteMessages(table, group, options.onDeleted)
    if (!marker && rows.length === 0) {
      if (attempt === 0 && messagesDeleted === 0) {
        throw new CruddurError('NOT_FOUND', `No conversation ${group} in table ${table.name} (nothing left of it)`, {
          hint: {step: 'list-conversations'},
        })
      }

      return {markerDeleted: false, messageGroupUuid: group, messagesDeleted, participantUuids, rowsDeleted: 0}
    }

    try {
      await table.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            ...rows.map((row) => ({
              Delete: {Key: {pk: row.pk, sk: row.sk}, TableName: table.name, ...unchangedCondition(row)},
            })),
            {Delete: {Key: conversationMarkerKey(group), TableName: table.name, ...markerUnchanged(marker)}},
          ],
        }),
      )
    } catch (error) {
      if (!isContention(error)) throw error
      continue
    }

    return {
      markerDeleted: Boolean(marker),
      messageGroupUuid: group,
      messagesDeleted,
      participantUuids,
      rowsDeleted: rows.length,
    }
  }

  throw new CruddurError(
    'CONFLICT',
    `Could not delete conversation ${group}: sends kept landing in it for ${MAX_RACE_ATTEMPTS} attempts. ` +
      `Run the command again.`,
  )
}

/** Deletes every message of the conversation, page by page: a long conversation is never held in memory whole. */
async function deleteMessages(
  table: MessagesTable,
  group: string,
  onDeleted?: (count: number) => void,
): Promise<number> {
  const pages = paginateQuery(
    {client: table.doc, pageSize: 500},
    {
      ConsistentRead: true,
      ExpressionAttributeValues: {':pk': messagePk(group)},
      KeyConditionExpression: 'pk = :pk',
      ProjectionExpression: 'pk, sk',
      TableName: table.name,
    },
  )
  let deleted = 0
  for await (const page of pages) {
    const keys = (page.Items ?? []) as Array<{pk: string; sk: string}>
    if (keys.length > 0) deleted += await batchWriteAll(table, keys, {delete: true, onWritten: onDeleted})
  }

  return deleted
}

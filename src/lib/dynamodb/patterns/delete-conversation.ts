import {GetCommand, paginateQuery, TransactWriteCommand} from '@aws-sdk/lib-dynamodb'

import {CruddurError} from '../../errors.js'
import {batchWriteAll} from '../batch-write.js'
import {messagePk} from '../items.js'
import {ownerUuidOf, queryGroupRows, queryGroupRowsConsistently} from './conversation-rows.js'
import {CONVERSATION_MARKER_PREFIX, CONVERSATION_MARKER_SK, type ConversationMarker} from './create-message.js'
import {requireUuid} from './input.js'
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
 * still lists and still has its id: running it again deletes what is left and finishes.
 */
export async function deleteConversation(
  table: MessagesTable,
  messageGroupUuid: string,
  options: {onDeleted?: (count: number) => void} = {},
): Promise<DeleteConversationResult> {
  const group = requireUuid(messageGroupUuid, 'The conversation id')
  const markerKey = {pk: `${CONVERSATION_MARKER_PREFIX}${group}`, sk: CONVERSATION_MARKER_SK}
  const marker = (await table.doc.send(new GetCommand({ConsistentRead: true, Key: markerKey, TableName: table.name})))
    .Item as ConversationMarker | undefined
  const indexed = await queryGroupRows(table, group)
  const participantUuids = [
    ...new Set([...(marker?.participant_uuids ?? []), ...indexed.flatMap((row) => [ownerUuidOf(row), row.user_uuid])]),
  ]
  // The index may lag: the rows to delete are read from the table when the participants are known.
  const rows = participantUuids.length > 0 ? await queryGroupRowsConsistently(table, group, participantUuids) : indexed

  const keys = async function* () {
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
    for await (const page of pages) yield* (page.Items ?? []) as Array<{pk: string; sk: string}>
  }

  let messagesDeleted = 0
  // Page by page: a long conversation is never held in memory whole.
  let batch: Array<{pk: string; sk: string}> = []
  const flush = async () => {
    messagesDeleted += await batchWriteAll(table.doc, table.name, batch, {delete: true, onWritten: options.onDeleted})
    batch = []
  }

  for await (const key of keys()) {
    batch.push(key)
    if (batch.length >= 500) await flush()
  }

  await flush()
  if (!marker && rows.length === 0 && messagesDeleted === 0) {
    throw new CruddurError('NOT_FOUND', `No conversation ${group} in table ${table.name} (nothing left of it)`, {
      hint: {step: 'list-conversations'},
    })
  }

  if (marker || rows.length > 0) {
    await table.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          ...rows.map((row) => ({Delete: {Key: {pk: row.pk, sk: row.sk}, TableName: table.name}})),
          ...(marker ? [{Delete: {Key: markerKey, TableName: table.name}}] : []),
        ],
      }),
    )
  }

  return {
    markerDeleted: Boolean(marker),
    messageGroupUuid: group,
    messagesDeleted,
    participantUuids,
    rowsDeleted: rows.length,
  }
}

import {QueryCommand, type QueryCommandInput} from '@aws-sdk/lib-dynamodb'

import {decodeCursor, encodeCursor, requirePageSize} from './input.js'
import type {MessagesTable} from '../messages-table.js'

export interface Page {
  /** Page size, 1–1000 (default 20). */
  limit?: number
  /** The nextCursor of the previous page; none for the first (newest) page. */
  cursor?: string
}

/** Sends one Query from `startKey` for at most `limit` items (the document or the low-level client). */
export type SendQuery<Item, Key> = (
  startKey: Key | undefined,
  limit: number,
) => Promise<{Items?: Item[]; LastEvaluatedKey?: Key}>

/**
 * One page of `limit` items of a Query, for the patterns and `ddb query` alike (so their cursors are one
 * format). It asks for one item more than the page so the cursor is only given when another item really
 * follows (DynamoDB's own LastEvaluatedKey would also be set when the page ends exactly at the last item,
 * leading to an empty page). A Query also stops at 1 MB read, so it queries on from LastEvaluatedKey until the
 * page is full or the partition ends: otherwise a big page of long messages would come back short with no
 * cursor, leaving older items unreachable. `tableKey` reads an item's table key {pk, sk}, which the cursor holds.
 */
export async function readQueryPage<Item, Key>(
  send: SendQuery<Item, Key>,
  limit: number,
  startKey: Key | undefined,
  tableKey: (item: Item) => {pk: unknown; sk: unknown},
): Promise<{items: Item[]; nextCursor: string | null}> {
  const items: Item[] = []
  let exclusiveStartKey = startKey
  do {
    const output = await send(exclusiveStartKey, limit + 1 - items.length)
    items.push(...(output.Items ?? []))
    exclusiveStartKey = output.LastEvaluatedKey
  } while (exclusiveStartKey && items.length <= limit)
  const more = items.length > limit
  const pageItems = more ? items.slice(0, limit) : items
  const last = pageItems.at(-1)
  return {items: pageItems, nextCursor: more && last ? encodeCursor(tableKey(last)) : null}
}

/** The Query for up to `limit` items of a partition, newest first, from `startKey` on: built apart from sending it. */
export function partitionPageRequest(
  table: MessagesTable,
  partitionKey: string,
  limit: number,
  startKey?: Record<string, unknown>,
): QueryCommandInput {
  return {
    ExclusiveStartKey: startKey,
    ExpressionAttributeValues: {':pk': partitionKey},
    KeyConditionExpression: 'pk = :pk',
    Limit: limit,
    ScanIndexForward: false,
    TableName: table.name,
    ...(table.consistentReads ? {ConsistentRead: true} : {}),
  }
}

/** One page of a partition, newest (highest sk) first (see readQueryPage). */
export async function queryPartitionPage<T extends {pk: string; sk: string}>(
  table: MessagesTable,
  partitionKey: string,
  page: Page,
): Promise<{items: T[]; nextCursor: string | null; firstPage: boolean}> {
  const limit = requirePageSize(page.limit)
  const startKey = decodeCursor(page.cursor, partitionKey)
  const send: SendQuery<T, Record<string, unknown>> = async (key, size) =>
    (await table.doc.send(new QueryCommand(partitionPageRequest(table, partitionKey, size, key)))) as {
      Items?: T[]
      LastEvaluatedKey?: Record<string, unknown>
    }
  const {items, nextCursor} = await readQueryPage(send, limit, startKey, (item) => item)
  return {firstPage: !startKey, items, nextCursor}
}

import {QueryCommand, type DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

import {decodeCursor, encodeCursor, requirePageSize} from './input.js'

export interface Page {
  /** Page size, 1–1000 (default 20). */
  limit?: number
  /** The nextCursor of the previous page; none for the first (newest) page. */
  cursor?: string
}

/**
 * One page of a partition, newest (highest sk) first. It asks for one item more than the page so the
 * cursor is only given when another item really follows (DynamoDB's own LastEvaluatedKey would also be set
 * when the page ends exactly at the last item, leading to an empty page).
 */
export async function queryPartitionPage<T extends {pk: string; sk: string}>(
  doc: DynamoDBDocumentClient,
  table: string,
  partitionKey: string,
  page: Page,
): Promise<{items: T[]; nextCursor: string | null; firstPage: boolean}> {
  const limit = requirePageSize(page.limit)
  const startKey = decodeCursor(page.cursor, partitionKey)
  const output = await doc.send(
    new QueryCommand({
      ExclusiveStartKey: startKey,
      ExpressionAttributeValues: {':pk': partitionKey},
      KeyConditionExpression: 'pk = :pk',
      Limit: limit + 1,
      ScanIndexForward: false,
      TableName: table,
    }),
  )
  const items = (output.Items ?? []) as T[]
  const more = items.length > limit
  const pageItems = more ? items.slice(0, limit) : items
  const last = pageItems.at(-1)
  return {firstPage: !startKey, items: pageItems, nextCursor: more && last ? encodeCursor({pk: last.pk, sk: last.sk}) : null}
}

import {paginateScan, type DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

import {GROUP_PREFIX, MESSAGE_PREFIX} from './items.js'

export type ItemType = 'all' | 'conversations' | 'messages'

export interface ScanOptions {
  /** Stop after this many items (counted here: DynamoDB's Limit counts items before the filter). */
  limit?: number
  type?: ItemType
  /** Parallel scan segments. */
  segments?: number
  pageSize?: number
  /** Read this index instead of the table. */
  indexName?: string
  /** Only these attributes (less to read over the wire). */
  attributes?: string[]
  /** Called for every page read (one request each). */
  onPage?: () => void
}

/**
 * Yields every item page by page, so memory stays flat whatever the table's size. With several segments,
 * they are read in parallel and their pages interleave.
 */
export async function* scanItems(doc: DynamoDBDocumentClient, table: string, options: ScanOptions = {}): AsyncGenerator<Record<string, unknown>> {
  const segments = options.segments ?? 1
  const limit = options.limit ?? Number.POSITIVE_INFINITY
  const prefix = options.type === 'conversations' ? GROUP_PREFIX : options.type === 'messages' ? MESSAGE_PREFIX : undefined
  const filter = prefix ? {ExpressionAttributeValues: {':prefix': prefix}, FilterExpression: 'begins_with(pk, :prefix)'} : {}
  const names = options.attributes?.map((attribute, i) => [`#a${i}`, attribute] as const)
  const projection = names ? {ExpressionAttributeNames: Object.fromEntries(names), ProjectionExpression: names.map(([name]) => name).join(', ')} : {}
  const pageSize = Math.min(options.pageSize ?? 1000, Number.isFinite(limit) && !prefix ? limit : Number.POSITIVE_INFINITY)

  const pages = Array.from({length: segments}, (_, segment) =>
    paginateScan({client: doc, pageSize}, {
      TableName: table,
      ...(options.indexName ? {IndexName: options.indexName} : {}),
      ...filter,
      ...projection,
      ...(segments > 1 ? {Segment: segment, TotalSegments: segments} : {}),
    })[Symbol.asyncIterator](),
  )

  let count = 0
  // One outstanding page request per segment; whichever answers first is yielded first.
  const pending = new Map(pages.map((iterator, index) => [index, iterator.next().then((result) => ({index, result}))]))
  try {
    while (pending.size > 0) {
      const {index, result} = await Promise.race(pending.values())
      if (result.done) {
        pending.delete(index)
        continue
      }

      options.onPage?.()
      pending.set(index, pages[index].next().then((next) => ({index, result: next})))
      for (const item of result.value.Items ?? []) {
        yield item
        if (++count >= limit) return
      }
    }
  } finally {
    // Stop the other segments' paginators when the consumer stops early.
    await Promise.allSettled(pages.map((iterator) => iterator.return?.(undefined)))
  }
}

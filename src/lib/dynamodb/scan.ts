import {type DynamoDBClient, QueryCommand, ScanCommand} from '@aws-sdk/client-dynamodb'

import {type ItemFilters, readPlan, type ReadRequest} from './filters.js'
import {plainItem, type RawItem} from './typed-json.js'
import type {MessagesTable} from './messages-table.js'

export type {ItemType} from './filters.js'

export interface ScanOptions extends ItemFilters {
  /** Stop after this many items (counted here: DynamoDB's Limit counts items before the filter). */
  limit?: number
  /** Parallel scan segments (Scans only: a Query reads one partition). */
  segments?: number
  pageSize?: number
  /** Read this index instead of the table. */
  indexName?: string
  /** Only these attributes (less to read over the wire; keep those the filters need). */
  attributes?: string[]
  /** Called for every page read (one request each). */
  onPage?: () => void
}

/**
 * Yields the selected items exactly as DynamoDB holds them (AttributeValues), page by page, so memory stays
 * flat whatever the table's size. Scan segments and the Queries of a plan are read in parallel, one page
 * outstanding each; their pages interleave.
 */
export async function* readRawItems(table: MessagesTable, options: ScanOptions = {}): AsyncGenerator<RawItem> {
  const {client} = table
  const plan = readPlan(options)
  const segments = plan.query ? 1 : (options.segments ?? 1)
  const limit = options.limit ?? Number.POSITIVE_INFINITY
  const filtered = plan.requests.some((request) => request.FilterExpression)
  const pageSize = Math.min(
    options.pageSize ?? 1000,
    Number.isFinite(limit) && !filtered ? limit : Number.POSITIVE_INFINITY,
  )
  const names = options.attributes?.map((attribute, i) => [`#a${i}`, attribute] as const)
  const projection = names
    ? {
        ExpressionAttributeNames: Object.fromEntries(names),
        ProjectionExpression: names.map(([name]) => name).join(', '),
      }
    : {}
  const readers = plan.requests.flatMap((request) =>
    Array.from({length: segments}, (_, segment) =>
      pages(client, {
        ...(options.indexName ? {IndexName: options.indexName} : {}),
        ...request,
        ...projection,
        Limit: pageSize,
        TableName: table.name,
        ...(segments > 1 ? {Segment: segment, TotalSegments: segments} : {}),
      }),
    ),
  )

  let count = 0
  const pending = new Map(readers.map((reader, index) => [index, reader.next().then((result) => ({index, result}))]))
  try {
    while (pending.size > 0) {
      const {index, result} = await Promise.race(pending.values())
      if (result.done) {
        pending.delete(index)
        continue
      }

      options.onPage?.()
      pending.set(
        index,
        readers[index].next().then((next) => ({index, result: next})),
      )
      for (const item of result.value) {
        if (!plan.matches(item)) continue
        yield item
        if (++count >= limit) return
      }
    }
  } finally {
    // Stop the other readers when the consumer stops early.
    await Promise.allSettled(readers.map((reader) => reader.return(undefined)))
  }
}

/** The same items as plain JSON, as the document client reads them. */
export async function* scanItems(
  table: MessagesTable,
  options: ScanOptions = {},
): AsyncGenerator<Record<string, unknown>> {
  for await (const item of readRawItems(table, options)) yield plainItem(item)
}

type PageRequest = ReadRequest & {
  Limit: number
  TableName: string
  Segment?: number
  TotalSegments?: number
  ExpressionAttributeNames?: Record<string, string>
  ProjectionExpression?: string
}

/** The pages of one Scan (segment) or Query, following LastEvaluatedKey. */
async function* pages(client: DynamoDBClient, request: PageRequest): AsyncGenerator<RawItem[], void, undefined> {
  let startKey: RawItem | undefined
  do {
    const input = {...request, ExclusiveStartKey: startKey}
    const output = request.KeyConditionExpression
      ? await client.send(new QueryCommand(input))
      : await client.send(new ScanCommand(input))
    yield (output.Items ?? []) as RawItem[]
    startKey = output.LastEvaluatedKey as RawItem | undefined
  } while (startKey)
}

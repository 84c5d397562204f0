import {type AttributeValue, GetItemCommand, QueryCommand} from '@aws-sdk/client-dynamodb'

import {CruddurError} from '../errors.js'
import {decodeCursor, requirePageSize} from './patterns/input.js'
import {readQueryPage, type SendQuery} from './patterns/page.js'
import {GROUP_INDEX, GROUP_INDEX_PARTITION_KEY, PARTITION_KEY, SORT_KEY} from './schema.js'
import type {RawItem} from './typed-json.js'
import type {MessagesTable} from './messages-table.js'

/** One item by its keys, exactly as stored; undefined when there is none. */
export async function getItem(
  table: MessagesTable,
  key: {pk: string; sk: string},
  options: {consistent?: boolean} = {},
): Promise<RawItem | undefined> {
  const output = await table.client.send(
    new GetItemCommand({
      ConsistentRead: options.consistent,
      Key: {[PARTITION_KEY]: {S: key.pk}, [SORT_KEY]: {S: key.sk}},
      TableName: table.name,
    }),
  )
  return output.Item as RawItem | undefined
}

export type SortKeyCondition = {beginsWith: string} | {between: [string, string]} | {after: string} | {before: string}

export interface QueryOptions {
  /** The partition key's value: `pk` on the table, `message_group_uuid` on the index. */
  partition: string
  sortKey?: SortKeyCondition
  index?: string
  descending?: boolean
  consistent?: boolean
  limit?: number
  cursor?: string
}

/** The indexes and their partition keys: a name not here is an input error, not a DynamoDB one. */
const INDEX_KEYS: Record<string, string> = {[GROUP_INDEX]: GROUP_INDEX_PARTITION_KEY}

/** The request of one page, apart from sending it. */
export function queryRequest(table: MessagesTable, options: QueryOptions) {
  if (options.index !== undefined && !(options.index in INDEX_KEYS)) {
    throw new CruddurError(
      'INVALID_INPUT',
      `There is no index "${options.index}": the table's index is ${Object.keys(INDEX_KEYS).join(', ')}.`,
    )
  }

  // DynamoDB refuses strongly consistent reads on a global secondary index.
  if (options.index && options.consistent)
    throw new CruddurError(
      'INVALID_INPUT',
      '--consistent does not work with --index (a global index is eventually consistent): leave out one of them.',
    )
  const partitionKey = options.index ? INDEX_KEYS[options.index] : PARTITION_KEY
  const values: Record<string, AttributeValue> = {':partition': {S: options.partition}}
  let condition = `#partition = :partition`
  const sortKey = options.sortKey
  if (sortKey) {
    if ('beginsWith' in sortKey) {
      condition += ' AND begins_with(#sort, :a)'
      values[':a'] = {S: sortKey.beginsWith}
    } else if ('between' in sortKey) {
      if (sortKey.between[0] > sortKey.between[1])
        throw new CruddurError(
          'INVALID_INPUT',
          `--sk-between "${sortKey.between[0]}" "${sortKey.between[1]}": the first bound is after ` +
            `the second; swap them.`,
        )
      condition += ' AND #sort BETWEEN :a AND :b'
      values[':a'] = {S: sortKey.between[0]}
      values[':b'] = {S: sortKey.between[1]}
    } else if ('after' in sortKey) {
      condition += ' AND #sort > :a'
      values[':a'] = {S: sortKey.after}
    } else {
      condition += ' AND #sort < :a'
      values[':a'] = {S: sortKey.before}
    }
  }

  return {
    ConsistentRead: options.consistent || undefined,
    ExpressionAttributeNames: {'#partition': partitionKey, ...(sortKey ? {'#sort': SORT_KEY} : {})},
    ExpressionAttributeValues: values,
    IndexName: options.index,
    KeyConditionExpression: condition,
    ScanIndexForward: !options.descending,
    TableName: table.name,
  }
}

/**
 * The cursor of the patterns (base64url of the last item's table key): on the table that key is {pk, sk}; on
 * the index it also needs the index's partition key, which is the queried value, so the cursor stays the same.
 */
function startKey(options: QueryOptions): RawItem | undefined {
  const key = decodeCursor(options.cursor, options.index ? undefined : options.partition)
  if (!key) return undefined
  const tableKey = {[PARTITION_KEY]: {S: key.pk}, [SORT_KEY]: {S: key.sk}}
  return options.index ? {[INDEX_KEYS[options.index]]: {S: options.partition}, ...tableKey} : tableKey
}

/** One page of a Query, read as the patterns' pages are (readQueryPage). */
export async function queryPage(
  table: MessagesTable,
  options: QueryOptions,
): Promise<{items: RawItem[]; nextCursor: string | null}> {
  const limit = requirePageSize(options.limit)
  const request = queryRequest(table, options)
  const send: SendQuery<RawItem, RawItem> = (ExclusiveStartKey, Limit) =>
    table.client.send(new QueryCommand({...request, ExclusiveStartKey, Limit}))
  return readQueryPage(send, limit, startKey(options), (item) => ({pk: item[PARTITION_KEY].S, sk: item[SORT_KEY].S}))
}

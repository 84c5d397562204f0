import {
  type BillingMode,
  type DescribeTableCommandOutput,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type IndexStatus,
  type ProjectionType,
  type StreamViewType,
  type TableDescription,
  type TableStatus,
} from '@aws-sdk/client-dynamodb'

import {messagesTableDefinition, type TableOptions} from './schema.js'
import {CruddurError} from '../errors.js'
import {backoff} from '../sleep.js'

/** The table's description, or undefined when it does not exist. */
export async function findTable(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    const output: DescribeTableCommandOutput = await client.send(new DescribeTableCommand({TableName: tableName}))
    return output.Table
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined
    throw error
  }
}

/** Same as findTable, but a missing table is the ResourceNotFoundException the error layer explains. */
export async function describeTable(client: DynamoDBClient, tableName: string): Promise<TableDescription> {
  const output = await client.send(new DescribeTableCommand({TableName: tableName}))
  return output.Table!
}

const isActive = (table: TableDescription | undefined) =>
  table?.TableStatus === 'ACTIVE' &&
  (table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE')

/**
 * Calls `check` until it returns a value, waiting 200 ms doubling to 5 s in between; past `timeoutMs` it
 * throws `timedOut()`.
 */
async function pollUntil<T>(check: () => Promise<T | undefined>, timeoutMs: number, timedOut: () => Error): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; ; attempt++) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw timedOut()
    await backoff(attempt, {baseMs: 200, capMs: 5000, jitter: false})
  }
}

/** Waits until the table and every index are ACTIVE (AWS takes a while; DynamoDB Local is instant). */
export async function waitUntilActive(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs = 10 * 60_000,
): Promise<TableDescription> {
  return pollUntil(
    async () => {
      const table = await findTable(client, tableName)
      return isActive(table) ? table : undefined
    },
    timeoutMs,
    () =>
      new CruddurError('FAILED', `Table ${tableName} was not ACTIVE after ${timeoutMs / 1000} s`, {
        actions: ['try again once it is ACTIVE'],
      }),
  )
}

export async function waitUntilGone(client: DynamoDBClient, tableName: string, timeoutMs = 10 * 60_000): Promise<void> {
  await pollUntil(
    async () => ((await findTable(client, tableName)) ? undefined : true),
    timeoutMs,
    () =>
      new CruddurError('FAILED', `Table ${tableName} still exists after ${timeoutMs / 1000} s`, {
        actions: ['try again once it is gone'],
      }),
  )
}

export interface SchemaLoadResult {
  table: string
  created: boolean
  recreated: boolean
  /** What an existing table was brought up to date with, in place (the stream, the index). */
  changes: string[]
  description: TableDescription
}

/**
 * Creates the messages table and waits for it. An existing table is checked as `ddb doctor` does and brought
 * up to date in place (stream, index; `confirm` is asked first with what will change); keys that differ are an
 * error naming them. `recreate` drops it first. A concurrent creation (ResourceInUseException) counts as
 * "already there".
 */
export async function loadTableSchema(
  client: DynamoDBClient,
  options: TableOptions & {
    recreate?: boolean
    onWait?: (what: string) => void
    confirm?: (changes: string[]) => Promise<void>
  },
): Promise<SchemaLoadResult> {
  const existing = await findTable(client, options.tableName)
  if (existing && !options.recreate) {
    const {checkShape, fixShape, requireKeySchema} = await import('./doctor/shape.js')
    const problems = checkShape(existing)
    requireKeySchema(options.tableName, problems)
    if (problems.length === 0)
      return {changes: [], created: false, description: existing, recreated: false, table: options.tableName}
    await options.confirm?.(problems.map((problem) => problem.detail))
    const changes = await fixShape(client, options.tableName, problems, options.onWait)
    return {
      changes,
      created: false,
      description: await waitUntilActive(client, options.tableName),
      recreated: false,
      table: options.tableName,
    }
  }

  if (existing) await dropTable(client, options.tableName, {ifExists: true, onWait: options.onWait})
  try {
    await client.send(new CreateTableCommand(messagesTableDefinition(options)))
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error
  }

  options.onWait?.(`waiting for ${options.tableName} and its index to be ACTIVE`)
  const description = await waitUntilActive(client, options.tableName)
  return {changes: [], created: true, description, recreated: Boolean(existing), table: options.tableName}
}

export interface DropTableResult {
  table: string
  /** false when the table did not exist (with `ifExists`). */
  dropped: boolean
}

export async function dropTable(
  client: DynamoDBClient,
  tableName: string,
  options: {ifExists?: boolean; onWait?: (what: string) => void} = {},
): Promise<DropTableResult> {
  try {
    await client.send(new DeleteTableCommand({TableName: tableName}))
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error
    if (options.ifExists) return {dropped: false, table: tableName}
    throw new CruddurError('TABLE_MISSING', `Table ${tableName} does not exist, so there is nothing to drop`, {
      cause: error,
      hint: {step: 'drop-if-exists'},
    })
  }

  options.onWait?.(`waiting for ${tableName} to be deleted`)
  await waitUntilGone(client, tableName)
  return {dropped: true, table: tableName}
}

/** The facts people look for in a table description, flattened; keys DynamoDB leaves out are left out. */
export interface TableSummary {
  name?: string
  status?: TableStatus
  /** `partition` and `sort` key attributes, e.g. `pk (partition), sk (sort)`. */
  keys: string
  indexes: Array<{name?: string; keys: string; projection?: ProjectionType; status?: IndexStatus}>
  billing: BillingMode
  streamArn: string | null
  /** null when the stream is off. */
  streamViewType?: StreamViewType | null
  itemCount: number
  sizeBytes: number
}

/** The facts people look for in a table description, flattened for a summary. */
export function summarizeTable(table: TableDescription): TableSummary {
  const keys = (schema: TableDescription['KeySchema']) =>
    (schema ?? []).map((key) => `${key.AttributeName} (${key.KeyType === 'HASH' ? 'partition' : 'sort'})`).join(', ')
  return {
    billing:
      table.BillingModeSummary?.BillingMode ??
      (table.ProvisionedThroughput?.ReadCapacityUnits ? 'PROVISIONED' : 'PAY_PER_REQUEST'),
    indexes: (table.GlobalSecondaryIndexes ?? []).map((index) => ({
      keys: keys(index.KeySchema),
      name: index.IndexName,
      projection: index.Projection?.ProjectionType,
      status: index.IndexStatus,
    })),
    itemCount: table.ItemCount ?? 0,
    keys: keys(table.KeySchema),
    name: table.TableName,
    sizeBytes: table.TableSizeBytes ?? 0,
    status: table.TableStatus,
    streamArn: table.LatestStreamArn ?? null,
    streamViewType: table.StreamSpecification?.StreamEnabled ? table.StreamSpecification.StreamViewType : null,
  }
}

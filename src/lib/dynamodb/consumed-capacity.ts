import type {ConsumedCapacity, DynamoDBClient} from '@aws-sdk/client-dynamodb'

export interface Units {
  read: number
  write: number
}

export interface TableUnits extends Units {
  indexes: Record<string, Units>
}

/** What `--consumed-capacity` adds to `--json`: the sum over every request of the command. */
export interface ConsumedCapacityTotals extends Units {
  tables: Record<string, TableUnits>
}

/** The operations that accept ReturnConsumedCapacity, and which kind of units they consume. */
const OPERATIONS: Record<string, keyof Units> = {
  BatchExecuteStatementCommand: 'read',
  BatchGetItemCommand: 'read',
  BatchWriteItemCommand: 'write',
  DeleteItemCommand: 'write',
  ExecuteStatementCommand: 'read',
  ExecuteTransactionCommand: 'write',
  GetItemCommand: 'read',
  PutItemCommand: 'write',
  QueryCommand: 'read',
  ScanCommand: 'read',
  TransactGetItemsCommand: 'read',
  TransactWriteItemsCommand: 'write',
  UpdateItemCommand: 'write',
}

/**
 * Adds up the capacity DynamoDB says each request consumed, per table and index. Installed once on the
 * client, it asks every request that can report it (ReturnConsumedCapacity: INDEXES), whichever library
 * function sends it, document client included (it shares the client's middleware).
 */
export class CapacityMeter {
  readonly totals: ConsumedCapacityTotals = {read: 0, write: 0, tables: {}}

  install(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const kind = OPERATIONS[context.commandName ?? '']
        if (!kind) return next(args)
        const input = args.input as {ReturnConsumedCapacity?: string}
        const result = await next({...args, input: {...input, ReturnConsumedCapacity: 'INDEXES'}})
        const consumed = (result.output as {ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[]}).ConsumedCapacity
        for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) this.add(entry, kind)
        return result
      },
      {name: 'cruddurConsumedCapacity', step: 'initialize'},
    )
  }

  add(consumed: ConsumedCapacity, kind: keyof Units): void {
    const name = consumed.TableName ?? '?'
    const table = (this.totals.tables[name] ??= {indexes: {}, read: 0, write: 0})
    const indexes = {...consumed.GlobalSecondaryIndexes, ...consumed.LocalSecondaryIndexes}
    const indexUnits = Object.values(indexes).reduce((sum, units) => sum + (units.CapacityUnits ?? 0), 0)
    // With INDEXES, Table holds the table's own share; without an index breakdown, CapacityUnits is all of it.
    addUnits(table, consumed.Table ?? {CapacityUnits: (consumed.CapacityUnits ?? 0) - indexUnits}, kind)
    for (const [indexName, units] of Object.entries(indexes))
      addUnits((table.indexes[indexName] ??= {read: 0, write: 0}), units, kind)
    addUnits(
      this.totals,
      {
        CapacityUnits: consumed.CapacityUnits,
        ReadCapacityUnits: consumed.ReadCapacityUnits,
        WriteCapacityUnits: consumed.WriteCapacityUnits,
      },
      kind,
    )
  }

  /** Lines for stderr: one per table and index. */
  describe(): string[] {
    const line = (name: string, units: Units) =>
      `${name.padEnd(40)} read ${round(units.read)} RCU   write ${round(units.write)} WCU`
    const lines = [
      `consumed capacity (total: read ${round(this.totals.read)} RCU, write ${round(this.totals.write)} WCU)`,
    ]
    for (const [name, table] of Object.entries(this.totals.tables)) {
      lines.push(`  ${line(`table ${name}`, table)}`)
      for (const [indexName, units] of Object.entries(table.indexes))
        lines.push(`  ${line(`  index ${indexName}`, units)}`)
    }

    return lines
  }
}

const round = (units: number) => Math.round(units * 100) / 100

/** Read and write units as reported; where DynamoDB gives only a total, the operation says which kind it was. */
function addUnits(
  into: Units,
  units: {CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number},
  kind: keyof Units,
): void {
  if (units.ReadCapacityUnits !== undefined || units.WriteCapacityUnits !== undefined) {
    into.read += units.ReadCapacityUnits ?? 0
    into.write += units.WriteCapacityUnits ?? 0
  } else {
    into[kind] += units.CapacityUnits ?? 0
  }
}

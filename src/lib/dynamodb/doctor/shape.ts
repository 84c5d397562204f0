import {type DynamoDBClient, type TableDescription, UpdateTableCommand} from '@aws-sdk/client-dynamodb'

import {CruddurError} from '../../errors.js'
import {GROUP_INDEX, messagesTableDefinition} from '../schema.js'
import {waitUntilActive} from '../table-admin.js'

/**
 * What the table's shape lacks, against `messagesTableDefinition`. `fixable` ones are brought up to date in
 * place (UpdateTable); the others (the table's own keys, an index with other keys) would need a new table,
 * which this never does on its own: it would drop the data.
 */
export interface ShapeProblem {
  kind:
    | 'table-keys'
    | 'index-missing'
    | 'index-keys'
    | 'index-projection'
    | 'stream-missing'
    | 'stream-view-type'
    | 'not-active'
  fixable: boolean
  detail: string
}

const keysOf = (schema: TableDescription['KeySchema']) =>
  (schema ?? []).map((key) => `${key.AttributeName} (${key.KeyType})`).join(', ')

export function checkShape(table: TableDescription): ShapeProblem[] {
  const wanted = messagesTableDefinition({tableName: table.TableName ?? ''})
  const wantedIndex = wanted.GlobalSecondaryIndexes![0]
  const problems: ShapeProblem[] = []
  const tableKeys = keysOf(table.KeySchema)
  if (tableKeys !== keysOf(wanted.KeySchema)) {
    problems.push({
      detail: `the table's keys are ${tableKeys}, not ${keysOf(wanted.KeySchema)}`,
      fixable: false,
      kind: 'table-keys',
    })
  }

  const index = table.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === GROUP_INDEX)
  if (!index) {
    problems.push({detail: `the index ${GROUP_INDEX} is missing`, fixable: true, kind: 'index-missing'})
  } else {
    const indexKeys = keysOf(index.KeySchema)
    if (indexKeys !== keysOf(wantedIndex.KeySchema)) {
      problems.push({
        detail: `the index ${GROUP_INDEX} has keys ${indexKeys}, not ${keysOf(wantedIndex.KeySchema)}`,
        fixable: false,
        kind: 'index-keys',
      })
    }

    if (index.Projection?.ProjectionType !== 'ALL') {
      problems.push({
        detail: `the index ${GROUP_INDEX} projects ${index.Projection?.ProjectionType ?? 'nothing'}, not ALL`,
        fixable: false,
        kind: 'index-projection',
      })
    }
  }

  const stream = table.StreamSpecification
  if (!stream?.StreamEnabled)
    problems.push({
      detail: 'the table has no stream (Pattern D needs one, NEW_IMAGE)',
      fixable: true,
      kind: 'stream-missing',
    })
  else if (stream.StreamViewType !== 'NEW_IMAGE' && stream.StreamViewType !== 'NEW_AND_OLD_IMAGES') {
    // A stream's view type cannot be changed in place: it must be disabled and enabled again (a new stream ARN).
    problems.push({
      detail: `the stream's view type is ${stream.StreamViewType}, which carries no new image`,
      fixable: true,
      kind: 'stream-view-type',
    })
  }

  const notActive = [table.TableStatus, ...(table.GlobalSecondaryIndexes ?? []).map((i) => i.IndexStatus)].some(
    (status) => status !== 'ACTIVE',
  )
  if (notActive)
    problems.push({
      detail: `the table or an index is not ACTIVE (${table.TableStatus})`,
      fixable: true,
      kind: 'not-active',
    })
  return problems
}

/** A key schema that differs is an error naming what differs: only a new table (and a copy) can change it. */
export function requireKeySchema(tableName: string, problems: ShapeProblem[]): void {
  const unfixable = problems.filter((problem) => !problem.fixable)
  if (unfixable.length === 0) return
  throw new CruddurError(
    'CONFLICT',
    `Table ${tableName} has another shape than cruddur's: ` +
      `${unfixable.map((problem) => problem.detail).join('; ')}. It cannot be changed in place`,
    {hint: {step: 'copy-to-new-table'}},
  )
}

/**
 * Brings the stream and the index up to date in place, one UpdateTable at a time (DynamoDB allows one
 * change of a table at once), and waits until the table and its index are ACTIVE. Returns what it changed.
 */
export async function fixShape(
  client: DynamoDBClient,
  tableName: string,
  problems: ShapeProblem[],
  onWait?: (what: string) => void,
): Promise<string[]> {
  const kinds = new Set(problems.filter((problem) => problem.fixable).map((problem) => problem.kind))
  const wanted = messagesTableDefinition({tableName})
  const changes: string[] = []
  const update = async (
    input: Omit<ConstructorParameters<typeof UpdateTableCommand>[0], 'TableName'>,
    what: string,
  ) => {
    onWait?.(`${what}, waiting for ${tableName} to be ACTIVE`)
    await waitUntilActive(client, tableName)
    await client.send(new UpdateTableCommand({TableName: tableName, ...input}))
    changes.push(what)
  }

  if (kinds.has('stream-view-type'))
    await update({StreamSpecification: {StreamEnabled: false}}, 'disabled the stream of the wrong view type')
  if (kinds.has('stream-missing') || kinds.has('stream-view-type'))
    await update({StreamSpecification: wanted.StreamSpecification}, 'enabled the stream (NEW_IMAGE)')
  if (kinds.has('index-missing')) {
    const index = wanted.GlobalSecondaryIndexes![0]
    const description = await waitUntilActive(client, tableName)
    const provisioned =
      description.BillingModeSummary?.BillingMode === 'PROVISIONED' ||
      (!description.BillingModeSummary && Boolean(description.ProvisionedThroughput?.ReadCapacityUnits))
    const throughput = provisioned
      ? {
          ProvisionedThroughput: {
            ReadCapacityUnits: description.ProvisionedThroughput!.ReadCapacityUnits!,
            WriteCapacityUnits: description.ProvisionedThroughput!.WriteCapacityUnits!,
          },
        }
      : {}
    await update(
      {
        AttributeDefinitions: wanted.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: index.IndexName,
              KeySchema: index.KeySchema,
              Projection: index.Projection,
              ...throughput,
            },
          },
        ],
      },
      `created the index ${GROUP_INDEX}`,
    )
  }

  onWait?.(`waiting for ${tableName} and its index to be ACTIVE`)
  await waitUntilActive(client, tableName)
  return changes
}

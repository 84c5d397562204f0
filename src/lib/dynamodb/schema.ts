import type {CreateTableCommandInput} from '@aws-sdk/client-dynamodb'

/**
 * The single table of Cruddur's direct messages, defined once: `schema-load` creates it from here and the
 * infrastructure code reads the same definition.
 */
export const PARTITION_KEY = 'pk'
export const SORT_KEY = 'sk'
export const GROUP_INDEX = 'message-group-sk-index'
export const GROUP_INDEX_PARTITION_KEY = 'message_group_uuid'

export interface TableOptions {
  tableName: string
  billing?: 'on-demand' | 'provisioned'
  readCapacity?: number
  writeCapacity?: number
}

export function messagesTableDefinition(options: TableOptions): CreateTableCommandInput {
  const provisioned = options.billing === 'provisioned'
  const throughput = provisioned
    ? {
        ProvisionedThroughput: {
          ReadCapacityUnits: options.readCapacity ?? 5,
          WriteCapacityUnits: options.writeCapacity ?? 5,
        },
      }
    : {}
  return {
    AttributeDefinitions: [
      {AttributeName: PARTITION_KEY, AttributeType: 'S'},
      {AttributeName: SORT_KEY, AttributeType: 'S'},
      {AttributeName: GROUP_INDEX_PARTITION_KEY, AttributeType: 'S'},
    ],
    BillingMode: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: [
      {
        IndexName: GROUP_INDEX,
        KeySchema: [
          {AttributeName: GROUP_INDEX_PARTITION_KEY, KeyType: 'HASH'},
          {AttributeName: SORT_KEY, KeyType: 'RANGE'},
        ],
        Projection: {ProjectionType: 'ALL'},
        ...throughput,
      },
    ],
    KeySchema: [
      {AttributeName: PARTITION_KEY, KeyType: 'HASH'},
      {AttributeName: SORT_KEY, KeyType: 'RANGE'},
    ],
    // The stream drives Pattern D: each new message updates both participants' conversation rows.
    StreamSpecification: {StreamEnabled: true, StreamViewType: 'NEW_IMAGE'},
    TableName: options.tableName,
    ...throughput,
  }
}

import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

import {awsClientConfig} from '../aws-config.js'
import {type DynamoDbTarget} from '../targets/dynamodb.js'
import {clientWithQueryClient, documentClientFor} from './messages-table.js'

export {awsClientConfig, LOCAL_CREDENTIALS} from '../aws-config.js'

export interface DynamoDbClients {
  client: DynamoDBClient
  doc: DynamoDBDocumentClient
  /** For reads sent once per conversation (see `clientWithQueryClient`). */
  queryClient: DynamoDBClient
}

export function createDynamoDbClients(target: DynamoDbTarget): DynamoDbClients {
  const {client, queryClient} = clientWithQueryClient(awsClientConfig(target))
  return {client, doc: documentClientFor(client), queryClient}
}

import {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

import {awsClientConfig} from '../aws-config.js'
import {type DynamoDbTarget} from '../targets/dynamodb.js'
import {documentClientFor} from './messages-table.js'

export {awsClientConfig, LOCAL_CREDENTIALS} from '../aws-config.js'

export interface DynamoDbClients {
  client: DynamoDBClient
  doc: DynamoDBDocumentClient
}

export function createDynamoDbClients(target: DynamoDbTarget): DynamoDbClients {
  const client = new DynamoDBClient(awsClientConfig(target))
  return {client, doc: documentClientFor(client)}
}

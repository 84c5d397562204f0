import {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

import {awsClientConfig} from '../aws-config.js'
import {type DynamoDbTarget} from '../targets/dynamodb.js'

export {awsClientConfig, LOCAL_CREDENTIALS} from '../aws-config.js'

export interface DynamoDbClients {
  client: DynamoDBClient
  doc: DynamoDBDocumentClient
}

export function createDynamoDbClients(target: DynamoDbTarget): DynamoDbClients {
  const client = new DynamoDBClient(awsClientConfig(target))
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: {removeUndefinedValues: true},
  })
  return {client, doc}
}

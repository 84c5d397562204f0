import {DynamoDBStreamsClient} from '@aws-sdk/client-dynamodb-streams'

import {awsClientConfig} from '../aws-config.js'
import type {DynamoDbTarget} from '../targets/dynamodb.js'

/** The streams client for a target: DynamoDB Local serves its streams on the table endpoint itself. */
export const createStreamsClient = (target: DynamoDbTarget) => new DynamoDBStreamsClient(awsClientConfig(target))

/** The endpoint part of a checkpoint's key. */
export const endpointKey = (target: DynamoDbTarget) => target.endpoint ?? `aws:${target.region}`

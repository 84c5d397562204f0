import {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

import {cacheRefresherFromEnvironment} from '../lib/momento/pattern-cache.js'
import {createStreamHandler} from '../lib/stream/handler.js'
import type {StreamBatchResponse, StreamEvent} from '../lib/stream/records.js'

/**
 * The Lambda on the cruddur-messages stream (Pattern D). Everything comes from the environment:
 * DDB_MESSAGE_TABLE, AWS_REGION (set by Lambda), and AWS_ENDPOINT_URL_DYNAMODB only to aim it elsewhere;
 * MOMENTO_CACHE_NAME with MOMENTO_API_KEY to keep the read patterns' cache fresh.
 */
let handleBatch: ReturnType<typeof createStreamHandler> | undefined

function handlerFromEnvironment(env: NodeJS.ProcessEnv = process.env): ReturnType<typeof createStreamHandler> {
  const table = env.DDB_MESSAGE_TABLE
  if (!table) throw new Error('DDB_MESSAGE_TABLE is not set: the function needs the messages table name')
  const client = new DynamoDBClient({
    ...(env.AWS_ENDPOINT_URL_DYNAMODB ? {endpoint: env.AWS_ENDPOINT_URL_DYNAMODB} : {}),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION,
  })
  const doc = DynamoDBDocumentClient.from(client, {marshallOptions: {removeUndefinedValues: true}})
  // With MOMENTO_CACHE_NAME set, each applied message also refreshes the cached first pages it changed.
  return createStreamHandler({afterApply: cacheRefresherFromEnvironment(doc, table, env), doc, table})
}

export async function handler(event: StreamEvent): Promise<StreamBatchResponse> {
  // Built on the first invocation, then reused while the execution environment lives.
  handleBatch ??= handlerFromEnvironment()
  const {batchItemFailures} = await handleBatch(event)
  // Only the documented shape: Lambda treats anything it cannot read as a failure of the whole batch.
  return {batchItemFailures}
}

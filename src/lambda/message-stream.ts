import {clientWithQueryClient, MessagesTable} from '../lib/dynamodb/messages-table.js'
import {cacheRefresherFromEnvironment} from '../lib/momento/pattern-cache.js'
import {createStreamHandler} from '../lib/stream/handler.js'
import type {StreamBatchResponse, StreamEvent} from '../lib/stream/records.js'

/**
 * The Lambda on the cruddur-messages stream (Pattern D). Everything comes from the environment:
 * DDB_MESSAGE_TABLE, AWS_REGION (set by Lambda), and AWS_ENDPOINT_URL_DYNAMODB only to aim it elsewhere;
 * MOMENTO_CACHE_NAME with MOMENTO_API_KEY (or MOMENTO_API_KEY_SECRET_ARN, read from Secrets Manager) to keep
 * the read patterns' cache fresh.
 */
let handleBatch: Promise<ReturnType<typeof createStreamHandler>> | undefined

/** Reads a secret's string; the default asks Secrets Manager, tests pass their own. */
export type SecretReader = (secretArn: string) => Promise<string>

const readFromSecretsManager: SecretReader = async (secretArn) => {
  const {GetSecretValueCommand, SecretsManagerClient} = await import('@aws-sdk/client-secrets-manager')
  const client = new SecretsManagerClient({})
  try {
    const {SecretString} = await client.send(new GetSecretValueCommand({SecretId: secretArn}))
    if (!SecretString)
      throw new Error(`the secret ${secretArn} has no string value: store the Momento API key as plain text`)
    return SecretString.trim()
  } finally {
    client.destroy()
  }
}

/**
 * The environment the handler runs with: MOMENTO_API_KEY filled from MOMENTO_API_KEY_SECRET_ARN when only
 * the secret is named, so the key lives in Secrets Manager, not in the function's configuration.
 */
export async function environmentWithSecrets(
  env: NodeJS.ProcessEnv,
  readSecret: SecretReader = readFromSecretsManager,
): Promise<NodeJS.ProcessEnv> {
  if (!env.MOMENTO_CACHE_NAME || env.MOMENTO_API_KEY || !env.MOMENTO_API_KEY_SECRET_ARN) return env
  return {...env, MOMENTO_API_KEY: await readSecret(env.MOMENTO_API_KEY_SECRET_ARN)}
}

async function handlerFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  readSecret?: SecretReader,
): Promise<ReturnType<typeof createStreamHandler>> {
  const name = env.DDB_MESSAGE_TABLE
  if (!name) throw new Error('DDB_MESSAGE_TABLE is not set: the function needs the messages table name')
  const {client, queryClient} = clientWithQueryClient({
    ...(env.AWS_ENDPOINT_URL_DYNAMODB ? {endpoint: env.AWS_ENDPOINT_URL_DYNAMODB} : {}),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION,
  })
  const table = new MessagesTable({client, name, queryClient})
  // With MOMENTO_CACHE_NAME set, each applied message also refreshes the cached first pages it changed.
  return createStreamHandler({
    afterApply: cacheRefresherFromEnvironment(table, await environmentWithSecrets(env, readSecret)),
    table,
  })
}

export async function handler(event: StreamEvent): Promise<StreamBatchResponse> {
  // Built on the first invocation, then reused while the execution environment lives; a failed build
  // (say, the secret unreadable) is retried on the next invocation instead of being kept.
  handleBatch ??= handlerFromEnvironment().catch((error: unknown) => {
    handleBatch = undefined
    throw error
  })
  const {batchItemFailures} = await (await handleBatch)(event)
  // Only the documented shape: Lambda treats anything it cannot read as a failure of the whole batch.
  return {batchItemFailures}
}

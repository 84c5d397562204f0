import {CruddurError} from './errors.js'
import {maskUrl} from './mask.js'
import {type CognitoTarget, describeDynamoDbTarget, type DynamoDbTarget, type PostgresTarget} from './target.js'

/** What the failing command was talking to, so the message can name it. */
export interface ErrorContext {
  dynamodb?: DynamoDbTarget
  postgres?: PostgresTarget
  /** Set alone around Cognito calls, so their failures name Cognito and the pool. */
  cognito?: {target: CognitoTarget; userPoolId?: string}
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN'])
const AWS_AUTH_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
  'AccessDeniedException',
  'CredentialsProviderError',
  'NotAuthorizedException',
])
const AWS_THROTTLE_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
])

type ErrorLike = {name?: string; code?: string; message?: string; cause?: unknown; errors?: unknown[]; $metadata?: unknown}

/** The network error code of an error or anything it wraps (Node wraps dual-stack failures in an AggregateError). */
function networkCode(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 4) return undefined
  const {code, cause, errors} = error as ErrorLike
  if (code && NETWORK_CODES.has(code)) return code
  for (const inner of [cause, ...(errors ?? [])]) {
    const found = networkCode(inner, depth + 1)
    if (found) return found
  }

  return undefined
}

function isPostgresError(error: ErrorLike): boolean {
  return typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code) && !('$metadata' in error)
}

/** Turns any error into one line the user can act on. Unknown errors keep their message. */
export function translateError(error: unknown, context: ErrorContext): CruddurError {
  if (error instanceof CruddurError) return error
  const err = (error ?? {}) as ErrorLike
  const message = err.message ?? String(error)

  if (isPostgresError(err)) return translatePostgresError(err, context.postgres)
  // The AWS SDK tags every error it throws, network ones included, with $metadata; pg does not. That, not
  // which targets a command has touched, says whose connection failed.
  const fromAws = typeof error === 'object' && error !== null && '$metadata' in error
  if (context.cognito && !context.dynamodb && (fromAws || !context.postgres)) {
    const translated = translateCognitoError(err, context.cognito)
    if (translated) return translated
  }

  const network = networkCode(error)
  if (network || err.name === 'TimeoutError') {
    if (context.postgres && (!context.dynamodb || !fromAws)) {
      return new CruddurError('UNREACHABLE', `PostgreSQL is not reachable at ${maskUrl(context.postgres.url)} (${network ?? 'timeout'}): start the local stack with \`cruddur local start\`, or pass --database-url.`, {cause: error})
    }

    const where = context.dynamodb?.endpoint ?? (context.dynamodb ? `AWS ${context.dynamodb.region}` : 'the endpoint')
    const fix = context.dynamodb?.kind === 'prod' ? 'check your network and --region' : 'start the local stack with `cruddur local start`, or pass --endpoint'
    return new CruddurError('UNREACHABLE', `DynamoDB is not reachable at ${where} (${network ?? 'timeout'}): ${fix}.`, {cause: error})
  }

  if (err.name === 'ResourceNotFoundException' && context.dynamodb) {
    const target = context.dynamodb
    const prodFlag = target.kind === 'prod' ? ' --prod' : ''
    return new CruddurError('TABLE_MISSING', `Table ${target.table} does not exist on ${describeDynamoDbTarget(target).replace(/ · table .*/, '')}: create it with \`cruddur ddb schema-load${prodFlag}\`.`, {cause: error})
  }

  if (err.name && AWS_AUTH_ERRORS.has(err.name)) {
    return new CruddurError('AUTH_FAILED', `AWS rejected the credentials (${err.name}): check AWS_PROFILE/--profile or your AWS keys.`, {cause: error})
  }

  if (err.name && AWS_THROTTLE_ERRORS.has(err.name)) {
    return new CruddurError('THROTTLED', `DynamoDB is throttling requests (${err.name}) even after retries: try again later, or raise the table's capacity.`, {cause: error})
  }

  if (err.name === 'ValidationException' && /specified index/i.test(message) && context.dynamodb) {
    const prodFlag = context.dynamodb.kind === 'prod' ? ' --prod' : ''
    return new CruddurError('TABLE_MISSING', `Table ${context.dynamodb.table} has no index message-group-sk-index, which the patterns read conversations from: add it in place with \`cruddur ddb schema-load${prodFlag}\` (its data is kept).`, {cause: error})
  }

  if (err.name === 'ValidationException') {
    return new CruddurError('INVALID_INPUT', `DynamoDB rejected the request: ${message}`, {cause: error})
  }

  return new CruddurError('FAILED', message.split('\n')[0] || 'Unexpected error', {cause: error})
}

function translateCognitoError(err: ErrorLike, {target, userPoolId}: NonNullable<ErrorContext['cognito']>): CruddurError | undefined {
  const where = target.endpoint ?? `AWS ${target.region}`
  const network = networkCode(err)
  if (network || err.name === 'TimeoutError') {
    const fix = target.kind === 'prod' ? 'check your network and --region' : 'start the local stack with `cruddur local start`, or pass --cognito-endpoint'
    return new CruddurError('UNREACHABLE', `Cognito is not reachable at ${where} (${network ?? 'timeout'}): ${fix}.`, {cause: err})
  }

  if (err.name === 'ResourceNotFoundException') {
    return new CruddurError('NOT_FOUND', `The Cognito user pool ${userPoolId ?? ''} does not exist at ${where}: check --user-pool-id or AWS_COGNITO_USER_POOL_ID (\`cruddur local status\` shows the local pool).`, {cause: err})
  }

  if (err.name && AWS_AUTH_ERRORS.has(err.name)) {
    return new CruddurError('AUTH_FAILED', `Cognito rejected the credentials at ${where} (${err.name}): check AWS_PROFILE/--profile or your AWS keys.`, {cause: err})
  }

  if (err.name === 'InvalidParameterException') {
    return new CruddurError('INVALID_INPUT', `Cognito rejected the request: ${(err.message ?? '').split('\n')[0]}`, {cause: err})
  }

  return undefined
}

function translatePostgresError(err: ErrorLike, target: PostgresTarget | undefined): CruddurError {
  const where = target ? maskUrl(target.url) : 'the database'
  switch (err.code) {
    case '28P01':
    case '28000': {
      return new CruddurError('AUTH_FAILED', `PostgreSQL refused the login at ${where}: check the user and password in --database-url or CONNECTION_URL.`, {cause: err})
    }

    case '3D000': {
      return new CruddurError('DATABASE_MISSING', `The database at ${where} does not exist: create it with \`cruddur db create\` (or \`cruddur db setup\`).`, {cause: err})
    }

    case '42P01': {
      return new CruddurError('DATABASE_MISSING', `The database at ${where} has no schema yet (${err.message}): run \`cruddur db setup\` (schema and seed users) or \`cruddur db schema-load\`.`, {cause: err})
    }

    default: {
      return new CruddurError('FAILED', `PostgreSQL error ${err.code}: ${err.message}`, {cause: err})
    }
  }
}

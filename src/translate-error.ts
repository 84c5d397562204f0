import type {MomentoErrorCode} from '@gomomento/sdk'

import {CruddurError, type ErrorHint} from './lib/errors.js'
import {maskUrl} from './lib/mask.js'
import {type CognitoTarget} from './lib/targets/cognito.js'
import {type DynamoDbTarget} from './lib/targets/dynamodb.js'
import type {MomentoTarget} from './lib/targets/momento.js'
import {type PostgresTarget} from './lib/targets/postgres.js'
import {describeEndpoint} from './lib/targets/shared.js'

/** The targets the failing command resolved, so the message can name them. */
export interface ErrorContext {
  dynamodb?: DynamoDbTarget
  postgres?: PostgresTarget
  /** Cognito failures name Cognito and the pool. */
  cognito?: {target: CognitoTarget; userPoolId?: string}
  momento?: MomentoTarget
}

const START_LOCAL = 'start the local stack with `cruddur local start`'

/** The cruddur commands that take a library error's next step: the library itself never names them. */
export function actionsFor(hint: ErrorHint): string[] {
  switch (hint.step) {
    case 'add-users': {
      return ['add users with `cruddur db seed --users N`']
    }

    case 'check-table': {
      return ['check the table with `cruddur ddb doctor`']
    }

    case 'copy-to-new-table': {
      return ['copy its data to a new table made by `cruddur ddb schema-load --table <NEW>`']
    }

    case 'create-cache': {
      return [`create it with \`cruddur momento create-cache --cache ${hint.cache}${hint.prod ? ' --prod' : ''}\``]
    }

    case 'create-users': {
      return ['create the users with `cruddur db setup`']
    }

    case 'db-sessions': {
      return ['see them with `cruddur db sessions`', 'pass --yes to disconnect them']
    }

    case 'drop-if-exists': {
      return ['pass --if-exists to make that not an error']
    }

    case 'enable-stream': {
      return ['enable it in place with `cruddur ddb schema-load` (its data is kept)']
    }

    case 'inspect-conversations': {
      return ['repair them with `cruddur ddb doctor --fix` (`cruddur ddb scan --type conversations` shows them)']
    }

    case 'list-conversations': {
      return ["list a user's conversations with `cruddur ddb patterns list-conversations <HANDLE>`"]
    }

    case 'local-user-pool': {
      return ['create a local pool with `cruddur local start` (`cruddur local status` shows it)']
    }

    case 'read-conversation': {
      return [`list its messages with \`cruddur ddb patterns get-conversation ${hint.messageGroupUuid}\``]
    }

    case 'recreate-table': {
      return ['create it again with `cruddur ddb schema-load`, then process its new stream']
    }

    case 'refresh-conversation': {
      return [`run \`cruddur ddb patterns update-message-group ${hint.messageGroupUuid}\``]
    }

    case 'repair-stale-rows': {
      return ['repair the conversation rows left stale with `cruddur ddb doctor --fix`']
    }

    case 'replace-state-file': {
      return [
        'stop what it started by hand if anything still runs (see its pids), delete the file, then run ' +
          '`cruddur local start`',
        'pass --endpoint/--database-url',
      ]
    }

    case 'start-local-stack': {
      const start = hint.stateDir
        ? `start the local stack with \`cruddur local start --state-dir ${hint.stateDir}\``
        : START_LOCAL
      return [start, `pass ${hint.flag}`]
    }
  }
}

/** A library error with a hint gets the commands that act on it; its own actions come first. */
function withActions(error: CruddurError): CruddurError {
  if (!error.hint) return error
  const actions = [...(error.actions ?? []), ...actionsFor(error.hint)]
  return new CruddurError(error.code, error.message, {actions, cause: error.cause ?? error})
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EAI_AGAIN',
])
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

type ErrorLike = {
  name?: string
  code?: string
  message?: string
  cause?: unknown
  errors?: unknown[]
  $metadata?: unknown
}

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

/** What an AWS-style service answers when asked for an operation it does not have. */
const UNKNOWN_OPERATION = new Set(['UnknownOperationException', 'Unsupported', 'UnsupportedOperation', 'InvalidAction'])

/**
 * An endpoint where something else answers: a gRPC port (no HTTP/1.1), another AWS-like service, a web
 * page, or plain HTTP asked for TLS. One line naming the endpoint and the flag to fix, instead of the parser's text.
 */
function wrongService(err: ErrorLike, service: string, where: string, flag: string): CruddurError | undefined {
  const {code = '', message = '', name = ''} = err
  if (code.startsWith('HPE_')) {
    return new CruddurError(
      'UNREACHABLE',
      `What answers at ${where} does not speak HTTP/1.1 (${code}: a gRPC port, like the Momento ` +
        `stand-in's?): point ${flag} at ${service}.`,
      {cause: err},
    )
  }

  if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) {
    return new CruddurError(
      'INVALID_INPUT',
      `TLS failed at ${where} ` +
        `(${/wrong version number/.test(message) ? 'the server speaks plain HTTP' : code}): use ` +
        `http:// in ${flag}, or the server's https port.`,
      {cause: err},
    )
  }

  const status = (err.$metadata as {httpStatusCode?: number} | undefined)?.httpStatusCode
  if (
    err.$metadata &&
    (UNKNOWN_OPERATION.has(name) || /x-amz-target|Deserialization error/i.test(message) || name === 'SyntaxError')
  ) {
    return new CruddurError(
      'UNREACHABLE',
      `Something other than ${service} answers at ${where}${status ? ` (HTTP ${status})` : ''}: ` +
        `point ${flag} at ${service}.`,
      {cause: err},
    )
  }

  return undefined
}

/** pg's own errors carry no code: its connect and query time limits, and a connection lost mid-command. */
const PG_TIMEOUT =
  /^(timeout exceeded when trying to connect|Connection terminated due to connection timeout|Query read timeout)$/
const PG_DROPPED = /^Connection terminated unexpectedly$/

/**
 * A SQLSTATE starts with a digit or with F, H, P or X (its class: 3D, 42, F0, HV, P0, XX…); Node's
 * five-letter errnos (EPIPE, EBADF) are not SQLSTATEs, and carry a syscall.
 */
function isPostgresError(error: ErrorLike): boolean {
  return (
    typeof error.code === 'string' &&
    /^[\dFHPX][\dA-Z]{4}$/.test(error.code) &&
    !('$metadata' in error) &&
    !('syscall' in error)
  )
}

/** Turns any error into one line the user can act on. Unknown errors keep their message. */
export function translateError(error: unknown, context: ErrorContext): CruddurError {
  if (error instanceof CruddurError) return withActions(error)
  const err = (error ?? {}) as ErrorLike
  const message = err.message ?? String(error)

  if (context.momento && (momentoCode(error) || (!context.dynamodb && !context.postgres)))
    return withActions(translateMomentoError(error, context.momento))
  if (isPostgresError(err)) return translatePostgresError(err, context.postgres)
  // The AWS SDK tags every error it throws, network ones included, with $metadata; pg does not. That, not
  // which targets a command has touched, says whose connection failed.
  const fromAws = typeof error === 'object' && error !== null && '$metadata' in error
  if (context.cognito && !context.dynamodb && (fromAws || !context.postgres)) {
    const translated = translateCognitoError(err, context.cognito)
    if (translated) return translated
  }

  if (context.postgres && !fromAws && (PG_TIMEOUT.test(message) || PG_DROPPED.test(message))) {
    const where = maskUrl(context.postgres.url)
    const text = PG_DROPPED.test(message)
      ? `PostgreSQL at ${where} closed the connection in the middle of a command (${message})`
      : `PostgreSQL at ${where} is not answering (${message})`
    const actions = PG_DROPPED.test(message)
      ? ['check that it runs (`cruddur local status`), then retry']
      : ['check that it runs (`cruddur local status`)', 'raise CRUDDUR_CONNECT_TIMEOUT/CRUDDUR_REQUEST_TIMEOUT']
    return new CruddurError('UNREACHABLE', text, {actions, cause: error})
  }

  const network = networkCode(error)
  // pg's connect timeouts are plain errors, told apart by their text only.
  const pgTimeout =
    Boolean(context.postgres) &&
    !fromAws &&
    /timeout expired|due to connection timeout|timeout exceeded when trying to connect/.test(message)
  if (network || err.name === 'TimeoutError' || pgTimeout) {
    if (context.postgres && (!context.dynamodb || !fromAws)) {
      return new CruddurError(
        'UNREACHABLE',
        `PostgreSQL is not reachable at ${maskUrl(context.postgres.url)} (${network ?? 'timeout'})`,
        {actions: [START_LOCAL, 'pass --database-url'], cause: error},
      )
    }

    const where = context.dynamodb?.endpoint
      ? maskUrl(context.dynamodb.endpoint)
      : context.dynamodb
        ? `AWS ${context.dynamodb.region}`
        : 'the endpoint'
    // A timeout means something listens but does not answer (frozen, overloaded): say which setting bounds it.
    const why =
      network === 'ETIMEDOUT' || err.name === 'TimeoutError'
        ? 'no answer within CRUDDUR_CONNECT_TIMEOUT/CRUDDUR_REQUEST_TIMEOUT'
        : network
    const actions =
      context.dynamodb?.kind === 'prod' ? ['check your network and --region'] : [START_LOCAL, 'pass --endpoint']
    return new CruddurError('UNREACHABLE', `DynamoDB is not reachable at ${where} (${why})`, {actions, cause: error})
  }

  const wrong = wrongService(
    err,
    'DynamoDB',
    context.dynamodb?.endpoint ? maskUrl(context.dynamodb.endpoint) : 'the endpoint',
    '--endpoint',
  )
  if (wrong) return wrong

  if (err.name === 'ResourceNotFoundException' && context.dynamodb) {
    const target = context.dynamodb
    const prodFlag = target.kind === 'prod' ? ' --prod' : ''
    return new CruddurError('TABLE_MISSING', `Table ${target.table} does not exist on ${describeEndpoint(target)}`, {
      actions: [`create it with \`cruddur ddb schema-load${prodFlag}\``],
      cause: error,
    })
  }

  if (err.name && AWS_AUTH_ERRORS.has(err.name)) {
    return new CruddurError(
      'AUTH_FAILED',
      `AWS rejected the credentials (${err.name}): check AWS_PROFILE/--profile or your AWS keys.`,
      {cause: error},
    )
  }

  if (err.name && AWS_THROTTLE_ERRORS.has(err.name)) {
    return new CruddurError(
      'THROTTLED',
      `DynamoDB is throttling requests (${err.name}) even after retries: try again later, or ` +
        `raise the table's capacity.`,
      {cause: error},
    )
  }

  if (err.name === 'ValidationException' && /specified index/i.test(message) && context.dynamodb) {
    const prodFlag = context.dynamodb.kind === 'prod' ? ' --prod' : ''
    return new CruddurError(
      'TABLE_MISSING',
      `Table ${context.dynamodb.table} has no index message-group-sk-index, which the patterns read conversations from`,
      {actions: [`add it in place with \`cruddur ddb schema-load${prodFlag}\` (its data is kept)`], cause: error},
    )
  }

  if (err.name === 'ValidationException') {
    return new CruddurError('INVALID_INPUT', `DynamoDB rejected the request: ${message}`, {cause: error})
  }

  return new CruddurError('FAILED', message.split('\n')[0] || 'Unexpected error', {cause: error})
}

function translateCognitoError(
  err: ErrorLike,
  {target, userPoolId}: NonNullable<ErrorContext['cognito']>,
): CruddurError | undefined {
  const where = target.endpoint ? maskUrl(target.endpoint) : `AWS ${target.region}`
  const network = networkCode(err)
  if (network || err.name === 'TimeoutError') {
    const actions =
      target.kind === 'prod' ? ['check your network and --region'] : [START_LOCAL, 'pass --cognito-endpoint']
    return new CruddurError('UNREACHABLE', `Cognito is not reachable at ${where} (${network ?? 'timeout'})`, {
      actions,
      cause: err,
    })
  }

  const wrong = wrongService(err, 'Cognito', where, '--cognito-endpoint')
  if (wrong) return wrong

  if (err.name === 'ResourceNotFoundException') {
    return new CruddurError('NOT_FOUND', `The Cognito user pool ${userPoolId ?? ''} does not exist at ${where}`, {
      actions: ['check --user-pool-id or AWS_COGNITO_USER_POOL_ID (`cruddur local status` shows the local pool)'],
      cause: err,
    })
  }

  if (err.name && AWS_AUTH_ERRORS.has(err.name)) {
    return new CruddurError(
      'AUTH_FAILED',
      `Cognito rejected the credentials at ${where} (${err.name}): check AWS_PROFILE/--profile or your AWS keys.`,
      {cause: err},
    )
  }

  if (err.name === 'InvalidParameterException') {
    return new CruddurError('INVALID_INPUT', `Cognito rejected the request: ${(err.message ?? '').split('\n')[0]}`, {
      cause: err,
    })
  }

  return undefined
}

function translatePostgresError(err: ErrorLike, target: PostgresTarget | undefined): CruddurError {
  const where = target ? maskUrl(target.url) : 'the database'
  switch (err.code) {
    case '28P01':
    case '28000': {
      return new CruddurError(
        'AUTH_FAILED',
        `PostgreSQL refused the login at ${where}: check the user and password in --database-url or CONNECTION_URL.`,
        {cause: err},
      )
    }

    // The server shut down or ended the session under the command.
    case '57P01':
    case '57P02':
    case '57P03': {
      return new CruddurError('UNREACHABLE', `PostgreSQL at ${where} ended the session (${err.code}: ${err.message})`, {
        actions: ['check that it runs (`cruddur local status`) and retry'],
        cause: err,
      })
    }

    case '3D000': {
      return new CruddurError('DATABASE_MISSING', `The database at ${where} does not exist`, {
        actions: ['create it with `cruddur db create` (or `cruddur db setup`)'],
        cause: err,
      })
    }

    case '42P01': {
      return new CruddurError('DATABASE_MISSING', `The database at ${where} has no schema yet (${err.message})`, {
        actions: ['run `cruddur db setup` (schema and seed users)', 'run `cruddur db schema-load`'],
        cause: err,
      })
    }

    default: {
      return new CruddurError('FAILED', `PostgreSQL error ${err.code}: ${err.message}`, {cause: err})
    }
  }
}

/**
 * The code of a Momento SDK error (its `errorCode()`), told by its shape so that commands which never use
 * Momento do not load its SDK to recognise its errors.
 */
function momentoCode(error: unknown): `${MomentoErrorCode}` | undefined {
  const errorCode = (error as {errorCode?: unknown} | null)?.errorCode
  return typeof errorCode === 'function' ? (errorCode.call(error) as `${MomentoErrorCode}`) : undefined
}

/** A Momento error as one line naming the target and the fix. The key is never part of it. */
function translateMomentoError(error: unknown, target: MomentoTarget): CruddurError {
  const where = describeEndpoint(target)
  const code = momentoCode(error)
  const {message, name} = (error ?? {}) as ErrorLike
  switch (code) {
    case 'AUTHENTICATION_ERROR':
    case 'PERMISSION_ERROR': {
      return new CruddurError(
        'AUTH_FAILED',
        `Momento rejected the API key (${code}): check MOMENTO_API_KEY (or MOMENTO_AUTH_TOKEN) and its permissions.`,
        {cause: error},
      )
    }

    case 'NOT_FOUND_ERROR': {
      return new CruddurError('NOT_FOUND', `Cache ${target.cacheName} does not exist on ${where}`, {
        cause: error,
        hint: {cache: target.cacheName, prod: target.kind === 'prod', step: 'create-cache'},
      })
    }

    case 'LIMIT_EXCEEDED_ERROR': {
      return new CruddurError('THROTTLED', `Momento is limiting requests (${code}): try again later.`, {cause: error})
    }

    case 'INVALID_ARGUMENT_ERROR':
    case 'BAD_REQUEST_ERROR': {
      return new CruddurError('INVALID_INPUT', `Momento rejected the request: ${String(message).split('\n')[0]}`, {
        cause: error,
      })
    }

    default: {
      if (
        name === 'AbortError' ||
        name === 'TimeoutError' ||
        code === 'SERVER_UNAVAILABLE' ||
        code === 'CONNECTION_ERROR' ||
        code === 'TIMEOUT_ERROR' ||
        code === 'CANCELLED_ERROR'
      ) {
        const next =
          target.kind === 'prod'
            ? {actions: ['check your network and MOMENTO_ENDPOINT']}
            : {hint: {flag: '--momento-endpoint', step: 'start-local-stack'} as const}
        return new CruddurError(
          'UNREACHABLE',
          `Momento is not reachable at ${target.endpoint ?? 'Momento'} (${code ?? 'timeout'})`,
          {cause: error, ...next},
        )
      }

      return new CruddurError(
        'FAILED',
        `Momento error${code ? ` ${code}` : ''}: ${String(message ?? error).split('\n')[0]}`,
        {cause: error},
      )
    }
  }
}

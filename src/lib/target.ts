import {readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {CruddurError} from './errors.js'
import {maskUrl} from './mask.js'
import {type LocalStackState} from './stack-state.js'

export const DEFAULT_TABLE = 'cruddur-messages'
export const DEFAULT_DYNAMODB_ENDPOINT = 'http://localhost:8000'
export const DEFAULT_DATABASE_URL = 'postgresql://postgres:password@localhost:5432/cruddur'
export const DEFAULT_COGNITO_ENDPOINT = 'http://localhost:9229'
export const LOCAL_REGION = 'us-east-1'

/** The flags every data command shares; each one is optional. */
export interface TargetFlags {
  prod?: boolean
  endpoint?: string
  table?: string
  region?: string
  profile?: string
  'database-url'?: string
  'cognito-endpoint'?: string
}

/** Where a DynamoDB command reads and writes. `endpoint` is undefined for AWS itself. */
export interface DynamoDbTarget {
  kind: 'local' | 'prod'
  endpoint?: string
  region: string
  profile?: string
  table: string
  /** Which rule chose the endpoint, for `--debug` and the tests. */
  source: 'prod' | 'flag' | 'env' | 'local-stack' | 'default'
  /** Environment settings that `--prod` overrides, to be mentioned once. */
  ignoredEnv: string[]
}

export interface PostgresTarget {
  kind: 'local' | 'prod'
  url: string
  source: 'flag' | 'env' | 'local-stack' | 'default'
}

export interface CognitoTarget {
  kind: 'local' | 'prod'
  endpoint?: string
  region: string
  profile?: string
  source: 'prod' | 'flag' | 'env' | 'local-stack' | 'default'
}

const ENDPOINT_ENV = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL'] as const

function checkUrl(url: string, what: string): string {
  try {
    const parsed = new URL(url)
    if (!/^https?:$/.test(parsed.protocol)) throw new Error('protocol')
  } catch {
    throw new CruddurError('INVALID_INPUT', `${what} "${maskUrl(url)}" is not an http(s) URL: pass one like ${DEFAULT_DYNAMODB_ENDPOINT}.`)
  }

  return url.replace(/\/+$/, '')
}

const ENCODE_HINT = 'percent-encode @ # / ? % in the user name and password (# as %23, @ as %40)'

/**
 * A PostgreSQL URL must be one before anything connects: pg resolves any other text as a host name (so
 * `garbage` went to DNS), and takes `mysql://` for PostgreSQL.
 */
function checkPostgresUrl(url: string): string {
  const invalid = (problem: string, fix = `pass one like ${DEFAULT_DATABASE_URL}`) =>
    new CruddurError('INVALID_INPUT', `The PostgreSQL URL "${maskUrl(url)}" ${problem}: ${fix}.`)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalid('is not a URL', url.includes('@') ? `${ENCODE_HINT}, or pass one like ${DEFAULT_DATABASE_URL}` : undefined)
  }

  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw invalid(`is not a PostgreSQL URL (${parsed.protocol.slice(0, -1)})`, `pass a postgresql:// URL, like ${DEFAULT_DATABASE_URL}`)
  // An unencoded # in a password starts a fragment: the server, port and database after it would be lost.
  if (parsed.hash) throw invalid('holds a #', ENCODE_HINT)
  if (!parsed.hostname && !parsed.searchParams.get('host')) throw invalid('names no server')
  return url
}

/** The `region` of a profile in the AWS config file (AWS_CONFIG_FILE, else ~/.aws/config), if it sets one. */
export function profileRegion(profile: string, env: NodeJS.ProcessEnv): string | undefined {
  let text: string
  try {
    text = readFileSync(env.AWS_CONFIG_FILE || join(homedir(), '.aws', 'config'), 'utf8')
  } catch {
    return undefined
  }

  let inProfile = false
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    // Sections are [default] and [profile NAME].
    const section = /^\[\s*(?:profile\s+)?(.+?)\s*\]$/.exec(line)
    if (section) inProfile = section[1] === profile
    else if (inProfile) {
      const region = /^region\s*=\s*(\S+)/.exec(line)
      if (region) return region[1]
    }
  }

  return undefined
}

/**
 * The AWS region for --prod, in the SDK's and AWS CLI's order: --region, AWS_REGION, AWS_DEFAULT_REGION,
 * then the profile's own region. No guessing: production in the wrong region is worse than an error.
 */
function prodRegion(flags: TargetFlags, env: NodeJS.ProcessEnv): string {
  const profile = flags.profile || env.AWS_PROFILE || 'default'
  const region = flags.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || profileRegion(profile, env)
  if (!region) {
    throw new CruddurError('INVALID_INPUT', `No AWS region for --prod: pass --region, set AWS_REGION, or set a region in profile ${profile}.`)
  }

  return region
}

export function resolveDynamoDbTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv,
  localStack: LocalStackState,
): DynamoDbTarget {
  const table = flags.table || env.DDB_MESSAGE_TABLE || DEFAULT_TABLE
  if (flags.prod) {
    if (flags.endpoint) {
      throw new CruddurError('INVALID_INPUT', '--prod and --endpoint contradict each other: use --prod for AWS, or --endpoint for another DynamoDB.')
    }

    return {
      kind: 'prod',
      region: prodRegion(flags, env),
      profile: flags.profile,
      table,
      source: 'prod',
      ignoredEnv: ENDPOINT_ENV.filter((name) => env[name]),
    }
  }

  const local = (endpoint: string, source: DynamoDbTarget['source']): DynamoDbTarget => ({
    kind: 'local',
    endpoint: checkUrl(endpoint, 'The DynamoDB endpoint'),
    region: flags.region || LOCAL_REGION,
    table,
    source,
    ignoredEnv: [],
  })
  if (flags.endpoint) return local(flags.endpoint, 'flag')
  if (env.AWS_ENDPOINT_URL_DYNAMODB) return local(env.AWS_ENDPOINT_URL_DYNAMODB, 'env')
  if (localStack.dynamodb) return local(localStack.dynamodb.endpoint, 'local-stack')
  return local(DEFAULT_DYNAMODB_ENDPOINT, 'default')
}

export function resolvePostgresTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv,
  localStack: LocalStackState,
): PostgresTarget {
  const kind = flags.prod ? 'prod' : 'local'
  if (flags['database-url']) return {kind, url: checkPostgresUrl(flags['database-url']), source: 'flag'}
  if (flags.prod) {
    if (env.PROD_CONNECTION_URL) return {kind, url: checkPostgresUrl(env.PROD_CONNECTION_URL), source: 'env'}
    throw new CruddurError('INVALID_INPUT', '--prod needs the production database: set PROD_CONNECTION_URL or pass --database-url.')
  }

  if (env.CONNECTION_URL) return {kind, url: checkPostgresUrl(env.CONNECTION_URL), source: 'env'}
  if (localStack.postgres) return {kind, url: localStack.postgres.url, source: 'local-stack'}
  return {kind, url: DEFAULT_DATABASE_URL, source: 'default'}
}

export function resolveCognitoTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv,
  localStack: LocalStackState,
): CognitoTarget {
  if (flags.prod) {
    if (flags['cognito-endpoint']) {
      throw new CruddurError('INVALID_INPUT', '--prod and --cognito-endpoint contradict each other: use --prod for AWS Cognito, or --cognito-endpoint for another one.')
    }

    return {kind: 'prod', region: prodRegion(flags, env), profile: flags.profile, source: 'prod'}
  }

  const local = (endpoint: string, source: CognitoTarget['source']): CognitoTarget => ({
    kind: 'local',
    endpoint: checkUrl(endpoint, 'The Cognito endpoint'),
    region: flags.region || LOCAL_REGION,
    source,
  })
  if (flags['cognito-endpoint']) return local(flags['cognito-endpoint'], 'flag')
  if (env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER) return local(env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, 'env')
  if (localStack.cognito) return local(localStack.cognito.endpoint, 'local-stack')
  return local(DEFAULT_COGNITO_ENDPOINT, 'default')
}

/** Where a target came from, as the target line says it: which flag, which variable, the local stack, or the default. */
export function targetOrigin(source: DynamoDbTarget['source'] | PostgresTarget['source'], flag: string, envName: string): string {
  const origins = {default: 'default', env: envName, flag, 'local-stack': 'local stack', prod: '--prod'}
  return `(from ${origins[source]})`
}

/** The endpoint (or AWS region) a DynamoDB command works on, e.g. `local http://127.0.0.1:8000`. */
export function dynamoDbWhere(target: DynamoDbTarget): string {
  return `${target.kind} ${target.kind === 'prod' ? `AWS ${target.region}${target.profile ? ` (profile ${target.profile})` : ''}` : maskUrl(target.endpoint!)}`
}

/** One line naming where a command works, e.g. `local http://127.0.0.1:8000 · table cruddur-messages (from local stack)`. */
export function describeDynamoDbTarget(target: DynamoDbTarget): string {
  return `${dynamoDbWhere(target)} · table ${target.table} ${targetOrigin(target.source, '--endpoint', 'AWS_ENDPOINT_URL_DYNAMODB')}`
}

export function describePostgresTarget(target: PostgresTarget): string {
  return `${target.kind} ${maskUrl(target.url)} ${targetOrigin(target.source, '--database-url', target.kind === 'prod' ? 'PROD_CONNECTION_URL' : 'CONNECTION_URL')}`
}

/** The target as `--json` output shows it: no secrets. */
export function dynamoDbTargetJson(target: DynamoDbTarget) {
  return {kind: target.kind, endpoint: target.endpoint ? maskUrl(target.endpoint) : null, region: target.region, table: target.table}
}

export function postgresTargetJson(target: PostgresTarget) {
  return {kind: target.kind, url: maskUrl(target.url)}
}

export function describeCognitoTarget(target: CognitoTarget): string {
  return `${target.kind} ${target.endpoint ? maskUrl(target.endpoint) : `AWS ${target.region}${target.profile ? ` (profile ${target.profile})` : ''}`} ${targetOrigin(target.source, '--cognito-endpoint', 'AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER')}`
}

export function cognitoTargetJson(target: CognitoTarget, userPoolId?: string) {
  return {kind: target.kind, endpoint: target.endpoint ? maskUrl(target.endpoint) : null, region: target.region, userPoolId: userPoolId ?? null}
}

/**
 * The user pool: --user-pool-id, then AWS_COGNITO_USER_POOL_ID, then — only when the endpoint is the
 * running local stack's — the pool `cruddur local start` created.
 */
export function resolveUserPoolId(flag: string | undefined, env: NodeJS.ProcessEnv, target: CognitoTarget, localStack: LocalStackState): string {
  const id = flag?.trim() || env.AWS_COGNITO_USER_POOL_ID?.trim() || (target.source === 'local-stack' ? localStack.cognito?.userPoolId : undefined)
  if (!id) {
    const local = target.kind === 'local' ? ' (`cruddur local start` creates a local pool and `cruddur local status` shows it)' : ''
    throw new CruddurError('INVALID_INPUT', `No Cognito user pool id: pass --user-pool-id or set AWS_COGNITO_USER_POOL_ID${local}.`)
  }

  return id
}

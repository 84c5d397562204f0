import {CruddurError} from '../errors.js'
import {maskUrl} from '../mask.js'
import type {LocalStackState} from '../stack-state.js'
import {
  checkUrl,
  describeEndpoint,
  firstLocal,
  LOCAL_REGION,
  prodRegion,
  type TargetFlags,
  type TargetSource,
  targetOrigin,
} from './shared.js'

export const DEFAULT_TABLE = 'cruddur-messages'
export const DEFAULT_DYNAMODB_ENDPOINT = 'http://localhost:8000'

/** Where a DynamoDB command reads and writes. `endpoint` is undefined for AWS itself. */
export interface DynamoDbTarget {
  kind: 'local' | 'prod'
  endpoint?: string
  region: string
  profile?: string
  table: string
  /** Which rule chose the endpoint, for `--debug` and the tests. */
  source: TargetSource
  /** Environment settings that `--prod` overrides, to be mentioned once. */
  ignoredEnv: string[]
}

const ENDPOINT_ENV = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL'] as const

export function resolveDynamoDbTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv,
  localStack: LocalStackState,
): DynamoDbTarget {
  const table = flags.table || env.DDB_MESSAGE_TABLE || DEFAULT_TABLE
  if (flags.prod) {
    if (flags.endpoint) {
      throw new CruddurError(
        'INVALID_INPUT',
        '--prod and --endpoint contradict each other: use --prod for AWS, or --endpoint for another DynamoDB.',
      )
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

  const {source, value} = firstLocal(
    flags.endpoint,
    env.AWS_ENDPOINT_URL_DYNAMODB,
    () => localStack.dynamodb?.endpoint,
    DEFAULT_DYNAMODB_ENDPOINT,
  )
  return {
    kind: 'local',
    endpoint: checkUrl(value, 'The DynamoDB endpoint', DEFAULT_DYNAMODB_ENDPOINT),
    region: flags.region || LOCAL_REGION,
    table,
    source,
    ignoredEnv: [],
  }
}

/**
 * One line naming where a command works, e.g. `local http://127.0.0.1:8000 · table cruddur-messages (from local
 * stack)`.
 */
export function describeDynamoDbTarget(target: DynamoDbTarget): string {
  const origin = targetOrigin(target.source, '--endpoint', 'AWS_ENDPOINT_URL_DYNAMODB')
  return `${describeEndpoint(target)} · table ${target.table} ${origin}`
}

/** The target as `--json` output shows it: no secrets. */
export interface DynamoDbTargetJson {
  kind: 'local' | 'prod'
  /** Masked; null for AWS itself. */
  endpoint: string | null
  region: string
  table: string
}

export function dynamoDbTargetJson(target: DynamoDbTarget): DynamoDbTargetJson {
  return {
    kind: target.kind,
    endpoint: target.endpoint ? maskUrl(target.endpoint) : null,
    region: target.region,
    table: target.table,
  }
}

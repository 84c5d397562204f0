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

export const DEFAULT_COGNITO_ENDPOINT = 'http://localhost:9229'

export interface CognitoTarget {
  kind: 'local' | 'prod'
  endpoint?: string
  region: string
  profile?: string
  source: TargetSource
}

export function resolveCognitoTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv,
  localStack: LocalStackState,
): CognitoTarget {
  if (flags.prod) {
    if (flags['cognito-endpoint']) {
      throw new CruddurError(
        'INVALID_INPUT',
        '--prod and --cognito-endpoint contradict each other: use --prod for AWS Cognito, or ' +
          '--cognito-endpoint for another one.',
      )
    }

    return {kind: 'prod', region: prodRegion(flags, env), profile: flags.profile, source: 'prod'}
  }

  const {source, value} = firstLocal(
    flags['cognito-endpoint'],
    env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER,
    () => localStack.cognito?.endpoint,
    DEFAULT_COGNITO_ENDPOINT,
  )
  return {
    kind: 'local',
    endpoint: checkUrl(value, 'The Cognito endpoint', DEFAULT_COGNITO_ENDPOINT),
    region: flags.region || LOCAL_REGION,
    source,
  }
}

export function describeCognitoTarget(target: CognitoTarget): string {
  const origin = targetOrigin(target.source, '--cognito-endpoint', 'AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER')
  return `${describeEndpoint(target)} ${origin}`
}

/** The target as `--json` output shows it: no secrets. */
export interface CognitoTargetJson {
  kind: 'local' | 'prod'
  /** Masked; null for AWS itself. */
  endpoint: string | null
  region: string
  userPoolId: string | null
}

export function cognitoTargetJson(target: CognitoTarget, userPoolId?: string): CognitoTargetJson {
  return {
    kind: target.kind,
    endpoint: target.endpoint ? maskUrl(target.endpoint) : null,
    region: target.region,
    userPoolId: userPoolId ?? null,
  }
}

/**
 * The user pool: --user-pool-id, then AWS_COGNITO_USER_POOL_ID, then — only when the endpoint is the
 * running local stack's — the pool `cruddur local start` created.
 */
export function resolveUserPoolId(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  target: CognitoTarget,
  localStack: LocalStackState,
): string {
  const id =
    flag?.trim() ||
    env.AWS_COGNITO_USER_POOL_ID?.trim() ||
    (target.source === 'local-stack' ? localStack.cognito?.userPoolId : undefined)
  if (!id) {
    throw new CruddurError('INVALID_INPUT', 'No Cognito user pool id', {
      actions: ['pass --user-pool-id', 'set AWS_COGNITO_USER_POOL_ID'],
      hint: target.kind === 'local' ? {step: 'local-user-pool'} : undefined,
    })
  }

  return id
}

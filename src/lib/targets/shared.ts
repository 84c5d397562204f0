// What every target resolver shares: where a target came from, the one "flag, then environment, then local
// stack, then default" rule, the checks of an endpoint URL and of an AWS region, and the one line naming it.
import {readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {CruddurError} from '../errors.js'
import {maskUrl} from '../mask.js'

export const LOCAL_REGION = 'us-east-1'

/** Which rule chose a target, for the target line, `--debug` and the tests. */
export type TargetSource = 'prod' | 'flag' | 'env' | 'local-stack' | 'default'

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

/**
 * The one rule for a local target: the flag, then the environment variable, then the running local stack's
 * service, then the default. Returns the value with the rule that chose it. The local stack is read only
 * when asked for (a function), so a flag or variable works whatever the state file holds.
 */
export function firstLocal(
  flag: string | undefined,
  env: string | undefined,
  localStack: () => string | undefined,
  fallback: string,
): {value: string; source: Exclude<TargetSource, 'prod'>} {
  if (flag) return {source: 'flag', value: flag}
  if (env) return {source: 'env', value: env}
  const recorded = localStack()
  if (recorded) return {source: 'local-stack', value: recorded}
  return {source: 'default', value: fallback}
}

/** An http(s) endpoint, without its trailing slashes; `example` is the fix the error shows. */
export function checkUrl(url: string, what: string, example: string): string {
  try {
    const parsed = new URL(url)
    if (!/^https?:$/.test(parsed.protocol)) throw new Error('protocol')
  } catch {
    throw new CruddurError(
      'INVALID_INPUT',
      `${what} "${maskUrl(url)}" is not an http(s) URL: pass one like ${example}.`,
    )
  }

  return url.replace(/\/+$/, '')
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

export function prodRegion(flags: TargetFlags, env: NodeJS.ProcessEnv): string {
  const profile = flags.profile || env.AWS_PROFILE || 'default'
  const region = flags.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || profileRegion(profile, env)
  if (!region) {
    throw new CruddurError(
      'INVALID_INPUT',
      `No AWS region for --prod: pass --region, set AWS_REGION, or set a region in profile ${profile}.`,
    )
  }

  return region
}

/**
 * Where a target came from, as the target line says it: which flag, which variable, the local stack, or the default.
 */
export function targetOrigin(source: TargetSource, flag: string, envName: string): string {
  const origins = {default: 'default', env: envName, flag, 'local-stack': 'local stack', prod: '--prod'}
  return `(from ${origins[source]})`
}

/**
 * What describeEndpoint reads of any target: a URL (PostgreSQL), an endpoint, or an AWS region; a cache name marks
 * Momento.
 */
export interface Located {
  kind: 'local' | 'prod'
  endpoint?: string
  url?: string
  region?: string
  profile?: string
  cacheName?: string
}

/**
 * Where a target is, without what it holds (table, cache): `local http://127.0.0.1:8000`, `prod AWS
 * eu-west-1 (profile p)`, `local postgresql://postgres:***@…`, `local momento 127.0.0.1:9230`, `prod Momento`.
 */
export function describeEndpoint(target: Located): string {
  if (target.url !== undefined) return `${target.kind} ${maskUrl(target.url)}`
  if (target.cacheName !== undefined)
    return `${target.kind} ${target.endpoint ? `momento ${target.endpoint}` : 'Momento'}`
  if (target.endpoint) return `${target.kind} ${maskUrl(target.endpoint)}`
  return `${target.kind} AWS ${target.region}${target.profile ? ` (profile ${target.profile})` : ''}`
}

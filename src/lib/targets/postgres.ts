import {CruddurError} from '../errors.js'
import {maskUrl} from '../mask.js'
import type {LocalStackState} from '../stack-state.js'
import {describeEndpoint, firstLocal, type TargetFlags, type TargetSource, targetOrigin} from './shared.js'

export const DEFAULT_DATABASE_URL = 'postgresql://postgres:password@localhost:5432/cruddur'

export interface PostgresTarget {
  kind: 'local' | 'prod'
  url: string
  source: Exclude<TargetSource, 'prod'>
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
    throw invalid(
      'is not a URL',
      url.includes('@') ? `${ENCODE_HINT}, or pass one like ${DEFAULT_DATABASE_URL}` : undefined,
    )
  }

  if (!/^postgres(ql)?:$/.test(parsed.protocol))
    throw invalid(
      `is not a PostgreSQL URL (${parsed.protocol.slice(0, -1)})`,
      `pass a postgresql:// URL, like ${DEFAULT_DATABASE_URL}`,
    )
  // An unencoded # in a password starts a fragment: the server, port and database after it would be lost.
  if (parsed.hash) throw invalid('holds a #', ENCODE_HINT)
  if (!parsed.hostname && !parsed.searchParams.get('host')) throw invalid('names no server')
  return url
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
    throw new CruddurError(
      'INVALID_INPUT',
      '--prod needs the production database: set PROD_CONNECTION_URL or pass --database-url.',
    )
  }

  const {source, value} = firstLocal(
    undefined,
    env.CONNECTION_URL,
    () => localStack.postgres?.url,
    DEFAULT_DATABASE_URL,
  )
  // Only a URL from the environment is checked here: the flag was above, the others are cruddur's own.
  return {kind, url: source === 'env' ? checkPostgresUrl(value) : value, source}
}

export function describePostgresTarget(target: PostgresTarget): string {
  const envName = target.kind === 'prod' ? 'PROD_CONNECTION_URL' : 'CONNECTION_URL'
  return `${describeEndpoint(target)} ${targetOrigin(target.source, '--database-url', envName)}`
}

/** The target as `--json` output shows it: the URL without its password. */
export interface PostgresTargetJson {
  kind: 'local' | 'prod'
  url: string
}

export function postgresTargetJson(target: PostgresTarget): PostgresTargetJson {
  return {kind: target.kind, url: maskUrl(target.url)}
}

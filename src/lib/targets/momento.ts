import {CruddurError} from '../errors.js'
import {maskUrl} from '../mask.js'
import type {LocalStackState} from '../stack-state.js'
import {describeEndpoint, firstLocal, type TargetSource, targetOrigin} from './shared.js'

export const DEFAULT_CACHE_NAME = 'cruddur'
export const DEFAULT_TTL_SECONDS = 600
/** The local stand-in's default port (cognito-local has 9229). */
export const DEFAULT_MOMENTO_LOCAL_PORT = 9230
export const DEFAULT_MOMENTO_LOCAL_ENDPOINT = `localhost:${DEFAULT_MOMENTO_LOCAL_PORT}`
/** Where the cache lives. The API key is not part of it, so a target can be printed and serialised. */
export interface MomentoTarget {
  kind: 'local' | 'prod'
  /** host:port of a local stand-in; undefined for Momento itself, whose endpoints come with the key. */
  endpoint?: string
  cacheName: string
  ttlSeconds: number
  source: TargetSource
}

export interface MomentoFlags {
  prod?: boolean
  cache?: string
  'momento-endpoint'?: string
}

export function cacheNameFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const name = (flag ?? env.MOMENTO_CACHE_NAME ?? '').trim() || DEFAULT_CACHE_NAME
  if (!/^[\w.-]{1,255}$/.test(name)) {
    throw new CruddurError(
      'INVALID_INPUT',
      `"${name}" is not a valid cache name: use letters, digits, "-", "_" or "." (e.g. ${DEFAULT_CACHE_NAME}).`,
    )
  }

  return name
}

export function ttlSecondsFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.MOMENTO_TTL_SECONDS?.trim()
  if (!raw) return DEFAULT_TTL_SECONDS
  const ttl = Number(raw)
  if (!Number.isInteger(ttl) || ttl <= 0) {
    throw new CruddurError(
      'INVALID_INPUT',
      `MOMENTO_TTL_SECONDS="${raw}" is not a whole number of seconds above 0: set it like ` +
        `MOMENTO_TTL_SECONDS=${DEFAULT_TTL_SECONDS}.`,
    )
  }

  return ttl
}

function checkEndpoint(endpoint: string): string {
  const bare = endpoint
    .trim()
    .replace(/^(https?|grpc):\/\//, '')
    .replace(/\/+$/, '')
  if (!/^[\w.-]+:\d{1,5}$/.test(bare)) {
    throw new CruddurError(
      'INVALID_INPUT',
      `The Momento endpoint "${maskUrl(endpoint)}" is not host:port: pass one like ${DEFAULT_MOMENTO_LOCAL_ENDPOINT}.`,
    )
  }

  return bare
}

/**
 * The cache a command talks to, first match wins: `--prod` (Momento itself, with the API key) ·
 * `--momento-endpoint` · `MOMENTO_LOCAL_ENDPOINT` · the running local stack's stand-in · localhost:9230.
 * Like DynamoDB, the cloud is used only with `--prod`: a key in the environment never redirects a local command.
 */
export function resolveMomentoTarget(
  flags: MomentoFlags,
  env: NodeJS.ProcessEnv,
  localStack: LocalStackState,
): MomentoTarget {
  const cacheName = cacheNameFrom(flags.cache, env)
  const ttlSeconds = ttlSecondsFrom(env)
  if (flags.prod) {
    if (flags['momento-endpoint']) {
      throw new CruddurError(
        'INVALID_INPUT',
        '--prod and --momento-endpoint contradict each other: use --prod for Momento, or ' +
          '--momento-endpoint for a local stand-in.',
      )
    }

    return {cacheName, kind: 'prod', source: 'prod', ttlSeconds}
  }

  const {source, value} = firstLocal(
    flags['momento-endpoint'],
    env.MOMENTO_LOCAL_ENDPOINT,
    () => localStack.momento?.endpoint,
    DEFAULT_MOMENTO_LOCAL_ENDPOINT,
  )
  return {cacheName, endpoint: checkEndpoint(value), kind: 'local', source, ttlSeconds}
}

/** One line naming where the cache is and whence: `local momento 127.0.0.1:9230 · cache cruddur (from local stack)`. */
export function describeMomentoTarget(target: MomentoTarget): string {
  const origin = targetOrigin(target.source, '--momento-endpoint', 'MOMENTO_LOCAL_ENDPOINT')
  return `${describeEndpoint(target)} · cache ${target.cacheName} ${origin}`
}

/** The target as `--json` shows it: no key. */
export interface MomentoTargetJson {
  cache: string
  /** null for Momento itself. */
  endpoint: string | null
  kind: 'local' | 'prod'
  ttlSeconds: number
}

export function momentoTargetJson(target: MomentoTarget): MomentoTargetJson {
  return {cache: target.cacheName, endpoint: target.endpoint ?? null, kind: target.kind, ttlSeconds: target.ttlSeconds}
}

// The local stack as every part of cruddur sees it: the records `local start` writes, reading and writing them,
// and the view target resolution takes (a service is there only while its recorded process still runs).
import {chmodSync, existsSync, readdirSync, readFileSync, statSync} from 'node:fs'

import {CruddurError} from './errors.js'
import {stateFile} from './paths.js'
import {makePrivateDirectories, writeJsonAtomically} from './private-files.js'
import {isPositiveInteger, processIdentity, type ProcessIdentity} from './process-identity.js'

export {stateFile} from './paths.js'
export type {ProcessIdentity} from './process-identity.js'

/** What `cruddur local start` records so that every other command can find the running stack. */
export interface ServiceRecord extends Partial<ProcessIdentity> {
  pid: number
  port: number
  /** Where the service logs go. */
  log: string
}

export interface DynamoDbRecord extends ServiceRecord {
  endpoint: string
  inMemory: boolean
  version: string
  /** False when DynamoDB Local had to listen on every interface (no loopback-only runner could be built). */
  loopbackOnly?: boolean
}

export interface PostgresRecord extends ServiceRecord {
  dataDir: string
  /** The URL without its password (the local one is fixed, see postgres.ts): state files hold no password. */
  url: string
}

export interface CognitoRecord extends ServiceRecord {
  endpoint: string
  userPoolId?: string
  clientId?: string
}

/** The development Momento stand-in; `endpoint` is host:port (gRPC, no TLS). */
export interface MomentoRecord extends ServiceRecord {
  endpoint: string
}

export interface LocalStackState {
  dynamodb?: DynamoDbRecord
  postgres?: PostgresRecord
  cognito?: CognitoRecord
  momento?: MomentoRecord
}

export type ServiceName = keyof LocalStackState
export const SERVICES: ServiceName[] = ['dynamodb', 'postgres', 'cognito', 'momento']
export const SERVICE_LABELS: Record<ServiceName, string> = {
  cognito: 'cognito-local',
  dynamodb: 'DynamoDB Local',
  momento: 'the Momento stand-in',
  postgres: 'PostgreSQL',
}

/** The fixed password of the local PostgreSQL server, which the state file leaves out of its URL. */
export const LOCAL_PASSWORD = 'password'

function unreadable(file: string, reason: string): CruddurError {
  return new CruddurError('FAILED', `The local stack's state file ${file} cannot be used (${reason})`, {
    hint: {step: 'replace-state-file'},
  })
}

/** A record as `start` writes it; anything else (a hand edit, a truncated file) is refused, never guessed at. */
function checkRecord(file: string, service: ServiceName, record: unknown): void {
  const r = record as Record<string, unknown>
  const ok =
    typeof record === 'object' &&
    record !== null &&
    isPositiveInteger(r.pid) &&
    (r.pid as number) > 1 &&
    isPositiveInteger(r.port) &&
    typeof r.log === 'string' &&
    (service === 'postgres'
      ? typeof r.url === 'string' && typeof r.dataDir === 'string'
      : typeof r.endpoint === 'string')
  if (!ok)
    throw unreadable(
      file,
      `its ${service} entry is not a service record${r?.pid === 1 ? ' (pid 1 is never a service)' : ''}`,
    )
}

/**
 * The recorded stack: `{}` when there is no state file. A file that cannot be read or parsed, or that holds
 * anything but service records, is an error naming it: guessing would retarget commands or orphan services.
 */
export function readState(stateDir: string): LocalStackState {
  const file = stateFile(stateDir)
  if (existsSync(stateDir) && !statSync(stateDir).isDirectory()) {
    throw new CruddurError(
      'INVALID_INPUT',
      `The local stack directory ${stateDir} is a file: pass a directory with --state-dir (or CRUDDUR_STATE_DIR).`,
    )
  }

  if (!existsSync(file)) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw unreadable(file, (error as Error).message.split('\n')[0])
  }

  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw unreadable(
      file,
      `it holds ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}, not an object`,
    )
  const state = parsed as Record<string, unknown>
  for (const service of SERVICES) if (state[service] !== undefined) checkRecord(file, service, state[service])
  return state as LocalStackState
}

/** The state directory, private to its owner (it holds every local message and cognito-local's users). */
export function ensureStateDir(stateDir: string): void {
  if (existsSync(stateDir) && !statSync(stateDir).isDirectory()) {
    throw new CruddurError(
      'INVALID_INPUT',
      `The local stack directory ${stateDir} is a file: pass a directory with --state-dir (or CRUDDUR_STATE_DIR).`,
    )
  }

  if (makePrivateDirectories(stateDir)) return
  // Tighten a directory that is ours (empty or holding a state file), never one like /tmp given by mistake.
  if (readdirSync(stateDir).length === 0 || existsSync(stateFile(stateDir))) chmodSync(stateDir, 0o700)
}

export function writeState(stateDir: string, state: LocalStackState): void {
  ensureStateDir(stateDir)
  writeJsonAtomically(stateFile(stateDir), state)
}

/**
 * Whether the recorded process is the one `start` started: 'ours', 'gone', 'other' (its pid now names another
 * program), or 'unverified' (recorded by an older cruddur without an identity: never treated as ours).
 */
export function recordedProcess(record: ServiceRecord): 'ours' | 'gone' | 'other' | 'unverified' {
  const now = processIdentity(record.pid)
  if (!now) return 'gone'
  if (record.startTime === undefined || record.command === undefined) return 'unverified'
  return now.startTime === record.startTime && now.command === record.command ? 'ours' : 'other'
}

/** The flag that targets each service without the local stack, for the error messages. */
const TARGET_FLAG: Record<ServiceName, string> = {
  cognito: '--cognito-endpoint',
  dynamodb: '--endpoint',
  momento: '--momento-endpoint',
  postgres: '--database-url',
}

/**
 * The local stack as target resolution sees it. Each service is read only when a command asks for it (so
 * `--endpoint` works whatever the state file holds), and is there only when its recorded process still runs
 * as recorded. A state file that cannot be read, or a recorded service that is gone, is an error: falling
 * back to the default ports would silently target whatever else listens there. `undefined` (the defaults)
 * only when the default state directory has no record of the service; a directory given with --state-dir or
 * CRUDDUR_STATE_DIR must hold it.
 */
export function localStackView(stateDir: string, options: {explicit: boolean}): LocalStackState {
  let state: LocalStackState | undefined
  const view: LocalStackState = {}
  for (const service of SERVICES) {
    Object.defineProperty(view, service, {
      enumerable: true,
      get: () => recordedService(service, (state ??= readState(stateDir))),
    })
  }

  function recordedService(service: ServiceName, state: LocalStackState) {
    const fix = {
      hint: {flag: TARGET_FLAG[service], stateDir: options.explicit ? stateDir : undefined, step: 'start-local-stack'},
    } as const
    const record = state[service]
    if (!record) {
      if (!options.explicit) return undefined
      const where = existsSync(stateFile(stateDir))
        ? `is not recorded in ${stateFile(stateDir)}`
        : `has no local stack in ${stateDir} (no state.json)`
      throw new CruddurError('UNREACHABLE', `${SERVICE_LABELS[service]} ${where}`, fix)
    }

    const verdict = recordedProcess(record)
    if (verdict !== 'ours') {
      const why = {
        gone: 'is not running',
        other: 'is not running (its pid now belongs to another program)',
        unverified: 'cannot be verified (recorded by an older cruddur)',
      }[verdict]
      throw new CruddurError(
        'UNREACHABLE',
        `${SERVICE_LABELS[service]} recorded in ${stateFile(stateDir)} (pid ${record.pid}) ${why}`,
        fix,
      )
    }

    return service === 'postgres' && state.postgres
      ? {...state.postgres, url: withLocalPassword(state.postgres.url)}
      : record
  }

  return view
}

/** The state file keeps the PostgreSQL URL without its password; the local server's is the fixed local one. */
function withLocalPassword(url: string): string {
  const parsed = new URL(url)
  if (!parsed.password) parsed.password = LOCAL_PASSWORD
  return parsed.toString()
}

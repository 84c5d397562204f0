import {spawnSync} from 'node:child_process'
import {chmodSync, closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {CruddurError} from '../errors.js'

/** Who a recorded pid was when `local start` recorded it: a pid alone may belong to another program after a reboot. */
export interface ProcessIdentity {
  /** Clock ticks after boot when the process started (/proc/<pid>/stat field 22). */
  startTime: string
  /** Its command line, arguments joined by spaces. */
  command: string
}

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
export const SERVICE_LABELS: Record<ServiceName, string> = {cognito: 'cognito-local', dynamodb: 'DynamoDB Local', momento: 'the Momento stand-in', postgres: 'PostgreSQL'}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const dataHome = env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(dataHome, 'cruddur')
}

export function resolveStateDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.CRUDDUR_STATE_DIR || defaultStateDir(env)
}

/** Downloads (DynamoDB Local) and the code cache: CRUDDUR_CACHE_DIR (as oclif reads it), else the XDG one. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CRUDDUR_CACHE_DIR) return env.CRUDDUR_CACHE_DIR
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(cacheHome, 'cruddur')
}

export const stateFile = (stateDir: string) => join(stateDir, 'state.json')

const UNREADABLE_FIX = 'stop what it started by hand if anything still runs (see its pids), delete the file, then run `cruddur local start`; or pass --endpoint/--database-url'

function unreadable(file: string, reason: string): CruddurError {
  return new CruddurError('FAILED', `The local stack's state file ${file} cannot be used (${reason}): ${UNREADABLE_FIX}.`)
}

const isPositiveInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0

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
    (service === 'postgres' ? typeof r.url === 'string' && typeof r.dataDir === 'string' : typeof r.endpoint === 'string')
  if (!ok) throw unreadable(file, `its ${service} entry is not a service record${r?.pid === 1 ? ' (pid 1 is never a service)' : ''}`)
}

/**
 * The recorded stack: `{}` when there is no state file. A file that cannot be read or parsed, or that holds
 * anything but service records, is an error naming it: guessing would retarget commands or orphan services.
 */
export function readState(stateDir: string): LocalStackState {
  const file = stateFile(stateDir)
  if (existsSync(stateDir) && !statSync(stateDir).isDirectory()) {
    throw new CruddurError('INVALID_INPUT', `The local stack directory ${stateDir} is a file: pass a directory with --state-dir (or CRUDDUR_STATE_DIR).`)
  }

  if (!existsSync(file)) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw unreadable(file, (error as Error).message.split('\n')[0])
  }

  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw unreadable(file, `it holds ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}, not an object`)
  const state = parsed as Record<string, unknown>
  for (const service of SERVICES) if (state[service] !== undefined) checkRecord(file, service, state[service])
  return state as LocalStackState
}

/** The state directory, private to its owner (it holds every local message and cognito-local's users). */
export function ensureStateDir(stateDir: string): void {
  if (existsSync(stateDir) && !statSync(stateDir).isDirectory()) {
    throw new CruddurError('INVALID_INPUT', `The local stack directory ${stateDir} is a file: pass a directory with --state-dir (or CRUDDUR_STATE_DIR).`)
  }

  if (!existsSync(stateDir)) {
    mkdirSync(stateDir, {mode: 0o700, recursive: true})
    return
  }

  // Tighten a directory that is ours (empty or holding a state file), never one like /tmp given by mistake.
  if (readdirSync(stateDir).length === 0 || existsSync(stateFile(stateDir))) chmodSync(stateDir, 0o700)
}

export function writeState(stateDir: string, state: LocalStackState): void {
  ensureStateDir(stateDir)
  // Write then rename, so a reader never sees half a file.
  const temporary = `${stateFile(stateDir)}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify(state, null, 2) + '\n', {mode: 0o600})
  renameSync(temporary, stateFile(stateDir))
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid || pid <= 1) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A running process's identity and process group, or undefined when no such process runs (zombies included). */
export function processIdentity(pid: number): (ProcessIdentity & {pgid: number}) | undefined {
  if (!isPositiveInteger(pid) || pid <= 1) return undefined
  if (existsSync('/proc/self/stat')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // The command name in parentheses may hold spaces and parentheses: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (fields[0] === 'Z' || fields[0] === 'X') return undefined
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
      return {command, pgid: Number(fields[2]), startTime: fields[19]}
    } catch {
      return undefined
    }
  }

  // Without /proc (macOS): ps, with an argument list.
  const ps = spawnSync('ps', ['-o', 'pgid=', '-o', 'lstart=', '-o', 'command=', '-p', String(pid)], {encoding: 'utf8'})
  const match = /^\s*(\d+)\s+(\S+\s+\S+\s+\d+\s+[\d:]+\s+\d+)\s+(.*)$/.exec(ps.stdout?.trim() ?? '')
  return match ? {command: match[3], pgid: Number(match[1]), startTime: match[2]} : undefined
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

/** A service's identity right after it started, to be recorded with it. */
export function identityOf(pid: number): ProcessIdentity {
  const identity = processIdentity(pid)
  if (!identity) throw new CruddurError('FAILED', `The process ${pid} exited right after it started.`)
  return {command: identity.command, startTime: identity.startTime}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs `work` holding the state directory's lock (an O_EXCL file with the holder's pid and start time), so
 * concurrent `local start`/`stop` never record over each other. A lock whose holder is gone is stale and is
 * taken over. Waiting is asynchronous, so Ctrl-C still ends a waiting command.
 */
export async function withStateLock<T>(stateDir: string, work: () => Promise<T>, options: {timeoutMs?: number; onWait?: (message: string) => void} = {}): Promise<T> {
  ensureStateDir(stateDir)
  const lock = join(stateDir, 'state.lock')
  const me = JSON.stringify({pid: process.pid, startTime: processIdentity(process.pid)?.startTime})
  const deadline = Date.now() + (options.timeoutMs ?? 300_000)
  let told = false
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600)
      try {
        writeSync(fd, me)
      } finally {
        closeSync(fd)
      }

      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }

    const holder = lockHolder(lock)
    if (holder === 'stale') {
      takeOverStaleLock(lock)
      continue
    }

    if (Date.now() > deadline) {
      throw new CruddurError('CONFLICT', `Another cruddur (pid ${holder}) holds the local stack's lock ${lock}: wait for it to finish, or stop it.`)
    }

    if (!told && holder !== 'unknown') options.onWait?.(`waiting for another cruddur (pid ${holder}) working on ${stateDir}`)
    told = true
    await sleep(100)
  }

  try {
    return await work()
  } finally {
    try {
      if (readFileSync(lock, 'utf8') === me) unlinkSync(lock)
    } catch {}
  }
}

/** The pid holding the lock, 'stale' when that process is gone (or is another program), 'unknown' while it is being written. */
function lockHolder(lock: string): number | 'stale' | 'unknown' {
  let text: string
  try {
    text = readFileSync(lock, 'utf8')
  } catch {
    return 'unknown' // removed meanwhile: try again
  }

  try {
    const {pid, startTime} = JSON.parse(text) as {pid: unknown; startTime: unknown}
    if (!isPositiveInteger(pid)) return 'stale'
    const now = processIdentity(pid)
    return now && (startTime === undefined || now.startTime === startTime) ? pid : 'stale'
  } catch {
    // Empty or garbage: its writer may be between create and write, so only an old one is stale.
    try {
      return Date.now() - statSync(lock).mtimeMs > 5000 ? 'stale' : 'unknown'
    } catch {
      return 'unknown'
    }
  }
}

/** Moves the stale lock aside; if another process replaced it meanwhile with a live one, puts that back. */
function takeOverStaleLock(lock: string): void {
  const aside = `${lock}.stale.${process.pid}`
  try {
    renameSync(lock, aside)
  } catch {
    return
  }

  if (lockHolder(aside) === 'stale') {
    unlinkSync(aside)
    return
  }

  try {
    linkSync(aside, lock)
  } catch {}

  unlinkSync(aside)
}

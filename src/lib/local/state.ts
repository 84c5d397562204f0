import {existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

/** What `cruddur local start` records so that every other command can find the running stack. */
export interface ServiceRecord {
  pid: number
  port: number
  /** Where the service logs go. */
  log: string
}

export interface DynamoDbRecord extends ServiceRecord {
  endpoint: string
  inMemory: boolean
  version: string
}

export interface PostgresRecord extends ServiceRecord {
  dataDir: string
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

const stateFile = (stateDir: string) => join(stateDir, 'state.json')

export function readState(stateDir: string): LocalStackState {
  const file = stateFile(stateDir)
  if (!existsSync(file)) return {}
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalStackState
  } catch {
    return {}
  }
}

export function writeState(stateDir: string, state: LocalStackState): void {
  mkdirSync(stateDir, {recursive: true})
  // Write then rename, so a reader never sees half a file.
  const temporary = `${stateFile(stateDir)}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify(state, null, 2) + '\n')
  renameSync(temporary, stateFile(stateDir))
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The recorded services whose process is still running; stale records are ignored. */
export function runningServices(stateDir: string): LocalStackState {
  const state = readState(stateDir)
  const running: LocalStackState = {}
  if (state.dynamodb && isAlive(state.dynamodb.pid)) running.dynamodb = state.dynamodb
  if (state.postgres && isAlive(state.postgres.pid)) running.postgres = state.postgres
  if (state.cognito && isAlive(state.cognito.pid)) running.cognito = state.cognito
  if (state.momento && isAlive(state.momento.pid)) running.momento = state.momento
  return running
}

import {existsSync, rmSync} from 'node:fs'

import {CruddurError} from '../errors.js'
import {maskUrl} from '../mask.js'
import {
  type LocalStackState,
  type PostgresRecord,
  type ProcessIdentity,
  readState,
  recordedProcess,
  SERVICE_LABELS,
  type ServiceName,
  SERVICES,
  stateFile,
  writeState,
} from '../stack-state.js'
import {startCognitoLocal} from './cognito-local.js'
import {ALL_INTERFACES_WARNING, startDynamoDbLocal} from './dynamodb-local.js'
import {startMomentoLocal} from './momento-local.js'
import {answers, choosePort, PortTakenError, type Protocol} from './ports.js'
import {postgresHome, startPostgres, stopPostgres} from './postgres.js'
import {stopProcess} from './process.js'
import {withStateLock} from './state-lock.js'

export {SERVICES, type ServiceName} from '../stack-state.js'

export const DEFAULT_PORTS = {cognito: 9229, dynamodb: 8000, momento: 9230, postgres: 5432} as const

export interface StartOptions {
  stateDir: string
  cacheDir: string
  ports: Partial<Record<ServiceName, number>>
  inMemory: boolean
  /** Told about every choice made on the user's behalf (a port moved, a service already running). */
  onNote?: (message: string) => void
}

export interface ServiceStatus {
  service: ServiceName
  state: 'started' | 'running' | 'stopped' | 'not answering'
  port?: number
  pid?: number
  endpoint?: string
  log?: string
  /** cognito only: the local user pool and app client. */
  userPoolId?: string
  clientId?: string
}

/** What `local start`, `status` and `stop` report: each service, and the state directory that records them. */
export interface LocalStackServices {
  services: ServiceStatus[]
  stateDir: string
}

/** What status and start show about a running service, beyond its process. */
function detailsOf(
  service: ServiceName,
  state: LocalStackState,
): Pick<ServiceStatus, 'clientId' | 'endpoint' | 'userPoolId'> {
  if (service === 'dynamodb') return {endpoint: state.dynamodb?.endpoint}
  if (service === 'cognito')
    return {clientId: state.cognito?.clientId, endpoint: state.cognito?.endpoint, userPoolId: state.cognito?.userPoolId}
  if (service === 'momento') return {endpoint: state.momento?.endpoint}
  return {endpoint: state.postgres ? maskUrl(state.postgres.url) : undefined}
}

/** `user pool local_… · app client …` for the people reading `start` and `status`, when cognito runs. */
export function describeLocalUserPool(services: ServiceStatus[]): string | undefined {
  const cognito = services.find((s) => s.service === 'cognito' && s.userPoolId)
  return cognito ? `cognito user pool ${cognito.userPoolId} · app client ${cognito.clientId}` : undefined
}

/** The note for a record whose process is gone or is now another program: it is dropped, never signalled. */
function staleNote(file: string, service: ServiceName, pid: number, verdict: 'gone' | 'other' | 'unverified'): string {
  const why = {
    gone: 'no longer runs',
    other: 'now belongs to another program (after a reboot?), left alone',
    unverified:
      'runs but was recorded without its start time and command line (an older cruddur), so it ' +
      'is left alone (stop it by hand if it is that service)',
  }[verdict]
  return `${file} recorded ${SERVICE_LABELS[service]} as pid ${pid}, which ${why}: record removed`
}

/**
 * Starts every service that is not already running; running ones are reported and left alone. Holds the
 * state directory's lock throughout, so two concurrent starts make one stack, every service recorded.
 */
export async function startLocalStack(options: StartOptions): Promise<ServiceStatus[]> {
  return withStateLock(options.stateDir, () => startUnderLock(options), {onWait: options.onNote})
}

async function startUnderLock(options: StartOptions): Promise<ServiceStatus[]> {
  const state = readState(options.stateDir)
  const results: ServiceStatus[] = []
  for (const service of SERVICES) {
    const existing = state[service]
    if (existing) {
      const verdict = recordedProcess(existing)
      if (verdict === 'ours') {
        results.push({
          ...detailsOf(service, state),
          log: existing.log,
          pid: existing.pid,
          port: existing.port,
          service,
          state: 'running',
        })
        continue
      }

      options.onNote?.(staleNote(stateFile(options.stateDir), service, existing.pid, verdict))
      delete state[service]
      writeState(options.stateDir, state)
    }

    let port: number
    try {
      const chosen = await choosePort(SERVICE_LABELS[service], options.ports[service], DEFAULT_PORTS[service])
      port = chosen.port
      if (chosen.note) options.onNote?.(chosen.note)
    } catch (error) {
      if (error instanceof PortTakenError) throw new CruddurError('CONFLICT', error.message)
      throw error
    }

    if (service === 'postgres') {
      // PostgreSQL keeps its own files private; its setup hands a file to the postgres user, so no umask here.
      state.postgres = await startPostgres({home: postgresHome(options.stateDir), port})
    } else {
      // Everything these write (DynamoDB's data, cognito-local's users, logs) is for the owner only.
      const umask = process.umask(0o077)
      try {
        if (service === 'dynamodb') {
          state.dynamodb = await startDynamoDbLocal({
            cacheDir: options.cacheDir,
            dir: options.stateDir,
            inMemory: options.inMemory,
            port,
          })
          if (!state.dynamodb.loopbackOnly) options.onNote?.(ALL_INTERFACES_WARNING)
        } else if (service === 'cognito') {
          state.cognito = await startCognitoLocal({dir: options.stateDir, port})
        } else {
          state.momento = await startMomentoLocal({dir: options.stateDir, port})
        }
      } finally {
        process.umask(umask)
      }
    }

    // Record each service as soon as it runs, so a failure later still lets `stop` clean it up.
    writeState(options.stateDir, state)
    const record = state[service]!
    results.push({
      ...detailsOf(service, state),
      log: record.log,
      pid: record.pid,
      port: record.port,
      service,
      state: 'started',
    })
  }

  return results
}

const PROTOCOLS: Record<ServiceName, Protocol> = {
  cognito: 'http',
  dynamodb: 'http',
  momento: 'grpc',
  postgres: 'postgres',
}

/** Each service's state: 'running' only when its recorded process lives and answers a real request in time. */
export async function localStackStatus(stateDir: string, timeoutMs = 2000): Promise<ServiceStatus[]> {
  const state = readState(stateDir)
  return Promise.all(
    SERVICES.map(async (service): Promise<ServiceStatus> => {
      const record = state[service]
      if (!record || recordedProcess(record) !== 'ours') return {service, state: 'stopped'}
      const answering = await answers(record.port, PROTOCOLS[service], timeoutMs)
      return {
        ...detailsOf(service, state),
        log: record.log,
        pid: record.pid,
        port: record.port,
        service,
        state: answering ? 'running' : 'not answering',
      }
    }),
  )
}

/**
 * Stops what `start` started and nothing else: a recorded pid is signalled only while it is still the
 * process that was recorded (same start time and command line). A state file that cannot be read is an
 * error, never taken for "nothing running".
 */
export async function stopLocalStack(
  stateDir: string,
  options: {onNote?: (message: string) => void} = {},
): Promise<ServiceStatus[]> {
  if (!existsSync(stateFile(stateDir))) {
    readState(stateDir) // a state dir that is a file is still an error
    return SERVICES.map((service) => ({service, state: 'stopped'}))
  }

  return withStateLock(
    stateDir,
    async () => {
      const state = readState(stateDir)
      const results: ServiceStatus[] = []
      for (const service of SERVICES) {
        const record = state[service]
        if (!record) {
          results.push({service, state: 'stopped'})
          continue
        }

        const verdict = recordedProcess(record)
        if (verdict === 'ours') {
          if (service === 'postgres') await stopPostgres(record as PostgresRecord)
          await stopProcess(record.pid, record as ProcessIdentity)
        } else {
          options.onNote?.(staleNote(stateFile(stateDir), service, record.pid, verdict))
        }

        delete state[service]
        writeState(stateDir, state)
        results.push({pid: record.pid, port: record.port, service, state: 'stopped'})
      }

      return results
    },
    {onWait: options.onNote},
  )
}

/**
 * Stops a stack made for one run (the tests', a benchmark's) and deletes everything it kept: the state
 * directory, and PostgreSQL's cluster where it lives outside it (under /var/tmp when run as root).
 */
export async function removeLocalStack(stateDir: string): Promise<void> {
  await stopLocalStack(stateDir)
  rmSync(postgresHome(stateDir), {force: true, recursive: true})
  rmSync(stateDir, {force: true, recursive: true})
}

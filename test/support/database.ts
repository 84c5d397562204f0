import {randomBytes} from 'node:crypto'
import pg from 'pg'

import type {Participant} from '../../src/lib/dynamodb/items.js'
import {testStack} from '../hooks.js'
import {cli} from './cli.js'

/** A database of its own on the test stack's PostgreSQL, so tests never touch another's `cruddur`. */
export interface TestDatabase {
  name: string
  url: string
  /** For checks the CLI does not offer: what a user would see with psql. */
  pool: pg.Pool
  drop(): Promise<void>
}

export function testDatabaseUrl(name: string): string {
  const url = new URL(testStack().databaseUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** Creates a fresh database with `cruddur db create` (and the schema unless `schema: false`). */
export async function createTestDatabase(prefix: string, options: {schema?: boolean} = {}): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`
  const url = testDatabaseUrl(name)
  for (const command of options.schema === false ? ['create'] : ['create', 'schema-load']) {
    const result = await cli(['db', command, '--database-url', url])
    if (result.code !== 0) throw new Error(`db ${command} failed: ${result.stderr}`)
  }

  const pool = new pg.Pool({connectionString: url, max: 2})
  return {
    async drop() {
      await pool.end()
      await cli(['db', 'drop', '--database-url', url, '--yes'])
    },
    name,
    pool,
    url,
  }
}

/** A user to add: a handle ("User <handle>" on screen), or a handle with its display name. */
export type NewStackUser = string | {handle: string; displayName: string}

/**
 * Loads the schema into the stack's own database and adds the users, as `db seed` would; returns them with the
 * uuids PostgreSQL gave them, as the patterns take them.
 */
export async function addStackUsers(users: readonly NewStackUser[]): Promise<Participant[]> {
  const {loadSchema} = await import('../../src/lib/postgres/schema.js')
  const pool = new pg.Pool({connectionString: testStack().databaseUrl})
  const added: Participant[] = []
  try {
    await loadSchema(pool)
    for (const user of users) {
      const {displayName, handle} = typeof user === 'string' ? {displayName: `User ${user}`, handle: user} : user
      const {rows} = await pool.query<{uuid: string}>(
        'INSERT INTO users (display_name, handle, email) VALUES ($1, $2, $3) RETURNING uuid',
        [displayName, handle, `${handle}@example.com`],
      )
      added.push({displayName, handle, uuid: rows[0].uuid})
    }
  } finally {
    await pool.end()
  }

  return added
}

/** A cast of users by name, each `<name>_<suffix>` shown as `displayName(name)`, added with `addStackUsers`. */
export async function addNamedStackUsers<Name extends string>(
  names: readonly Name[],
  suffix: string,
  displayName: (name: Name) => string,
): Promise<Record<Name, Participant>> {
  const added = await addStackUsers(
    names.map((name) => ({displayName: displayName(name), handle: `${name}_${suffix}`})),
  )
  return Object.fromEntries(names.map((name, i) => [name, added[i]])) as Record<Name, Participant>
}

/** Adds users straight into the table, as another tool or an old script might have. */
export async function insertUsers(
  pool: pg.Pool,
  users: Array<{handle: string; cognitoUserId?: string | null}>,
): Promise<void> {
  await pool.query(
    `INSERT INTO users (display_name, handle, email, cognito_user_id)
     SELECT h, h, gen_random_uuid() || '@example.com', c FROM unnest($1::text[], $2::text[]) AS u(h, c)`,
    [users.map((u) => u.handle), users.map((u) => u.cognitoUserId ?? null)],
  )
}

export async function cognitoUserIds(pool: pg.Pool): Promise<Record<string, string | null>> {
  const {rows} = await pool.query<{handle: string; cognito_user_id: string | null}>(
    'SELECT handle, cognito_user_id FROM users',
  )
  return Object.fromEntries(rows.map((row) => [row.handle, row.cognito_user_id]))
}

/**
 * Registers, in the calling `describe`, the hooks that create a test database (a fresh one for `each` test, or
 * one for `all` of them) and drop it; the returned function gives the current one.
 */
export function useTestDatabase(prefix: string, fresh: 'each' | 'all'): () => TestDatabase {
  let db: TestDatabase | undefined
  const [setUp, tearDown] = fresh === 'each' ? [beforeEach, afterEach] : [before, after]
  setUp(async () => {
    db = await createTestDatabase(prefix)
  })
  tearDown(async () => {
    await db?.drop()
  })
  return () => {
    if (!db) throw new Error('the test database is not created yet')
    return db
  }
}

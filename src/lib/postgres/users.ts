import type pg from 'pg'

import {CruddurError} from '../errors.js'

export interface User {
  uuid: string
  handle: string
  displayName: string
  email: string
  cognitoUserId: string | null
}

const SELECT_USER =
  'SELECT uuid, handle, display_name AS "displayName", email, cognito_user_id AS "cognitoUserId" FROM users'

/** Handles are written with or without the leading @; case does not matter. */
export const normalizeHandle = (handle: string) => handle.trim().replace(/^@/, '')

/** The users with these handles (case-insensitive), in one query. */
export async function findUsersByHandles(pool: pg.Pool, handles: string[]): Promise<Map<string, User>> {
  const wanted = handles.map((handle) => normalizeHandle(handle).toLowerCase())
  const {rows} = await pool.query<User>(`${SELECT_USER} WHERE lower(handle) = ANY($1::text[])`, [wanted])
  return new Map(rows.map((user) => [user.handle.toLowerCase(), user]))
}

/** The handle without its @, refused when nothing is left: checked before any database is asked. */
export function requireHandle(handle: string): string {
  const name = normalizeHandle(handle)
  if (!name) throw new CruddurError('INVALID_INPUT', 'The handle is empty: pass a user handle such as andrewbrown.')
  return name
}

/** The users with these handles, keyed by lower-case handle; one error names every handle that has none. */
export async function requireUsersByHandles(pool: pg.Pool, handles: string[]): Promise<Map<string, User>> {
  const names = handles.map((handle) => requireHandle(handle))
  const users = await findUsersByHandles(pool, names)
  const missing = [...new Set(names.filter((name) => !users.has(name.toLowerCase())))]
  if (missing.length > 0) {
    throw new CruddurError('NOT_FOUND', `No user with handle ${missing.map((name) => `@${name}`).join(', ')}`, {
      actions: ['check the spelling'],
      hint: {step: 'create-users'},
    })
  }

  return users
}

/** The user with this handle, or a clear error naming it. */
export async function requireUserByHandle(pool: pg.Pool, handle: string): Promise<User> {
  const [user] = (await requireUsersByHandles(pool, [handle])).values()
  return user
}

/** Users in handle order, at most `limit` of them. */
export async function listUsers(pool: pg.Pool, limit = 1000): Promise<User[]> {
  const {rows} = await pool.query<User>(`${SELECT_USER} ORDER BY lower(handle) LIMIT $1`, [limit])
  return rows
}

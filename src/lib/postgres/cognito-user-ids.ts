import type pg from 'pg'

import {type CognitoUser} from '../cognito/users.js'
import {CruddurError} from '../errors.js'

export interface CognitoLinkReport {
  dryRun: boolean
  /** Users whose cognito_user_id was set (or, with a dry run, would be). */
  updated: Array<{handle: string; cognitoUserId: string; previous: string | null}>
  alreadyCorrect: Array<{handle: string; cognitoUserId: string}>
  /** Cognito users whose preferred_username is no handle in PostgreSQL (or who have none). */
  cognitoUsersWithoutHandle: Array<{username: string; preferredUsername: string | null; sub: string}>
  /** PostgreSQL users no Cognito user claims; their cognito_user_id is left as it is. */
  postgresUsersWithoutCognitoUser: Array<{handle: string; cognitoUserId: string | null}>
}

interface UserRow {
  uuid: string
  handle: string
  cognitoUserId: string | null
}

/** Cognito users by handle. Handles are unique whatever their case, so matching ignores case too. */
function indexByHandle(cognitoUsers: CognitoUser[]): {
  byHandle: Map<string, CognitoUser>
  withoutHandle: CognitoUser[]
} {
  const byHandle = new Map<string, CognitoUser>()
  const withoutHandle: CognitoUser[] = []
  for (const user of cognitoUsers) {
    if (!user.preferredUsername) {
      withoutHandle.push(user)
      continue
    }

    const key = user.preferredUsername.toLowerCase()
    const other = byHandle.get(key)
    if (other) {
      throw new CruddurError(
        'CONFLICT',
        `Cognito users ${other.username} and ${user.username} both have preferred_username ` +
          `"${user.preferredUsername}", and handles are unique whatever their case: give one of them ` +
          `another preferred_username; nothing was changed.`,
      )
    }

    byHandle.set(key, user)
  }

  return {byHandle, withoutHandle}
}

/**
 * Sets `users.cognito_user_id` to the Cognito `sub` of the user whose preferred_username is the user's
 * handle. All in one transaction: a failure on any user (a `sub` another user already holds) changes
 * nothing. A dry run does the same work and rolls it back.
 */
export async function updateCognitoUserIds(
  pool: pg.Pool,
  cognitoUsers: CognitoUser[],
  options: {dryRun: boolean},
): Promise<CognitoLinkReport> {
  const {byHandle, withoutHandle} = indexByHandle(cognitoUsers)
  const report: CognitoLinkReport = {
    alreadyCorrect: [],
    cognitoUsersWithoutHandle: [],
    dryRun: options.dryRun,
    postgresUsersWithoutCognitoUser: [],
    updated: [],
  }
  const changes: UserRow[] = []
  const matched = new Set<string>()

  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    const {rows} = await client.query<UserRow>(
      'SELECT uuid, handle, cognito_user_id AS "cognitoUserId" FROM users ORDER BY lower(handle), handle FOR UPDATE',
    )
    for (const row of rows) {
      const cognito = byHandle.get(row.handle.toLowerCase())
      if (!cognito) {
        report.postgresUsersWithoutCognitoUser.push({cognitoUserId: row.cognitoUserId, handle: row.handle})
        continue
      }

      matched.add(cognito.username)
      if (row.cognitoUserId === cognito.sub) {
        report.alreadyCorrect.push({cognitoUserId: cognito.sub, handle: row.handle})
      } else {
        changes.push(row)
        report.updated.push({cognitoUserId: cognito.sub, handle: row.handle, previous: row.cognitoUserId})
      }
    }

    // Clear first, so users swapping ids never collide with each other on the unique index.
    await client.query(
      'UPDATE users SET cognito_user_id = NULL WHERE uuid = ANY($1::uuid[]) AND cognito_user_id IS NOT NULL',
      [changes.map((row) => row.uuid)],
    )
    for (const [index, row] of changes.entries()) {
      const {cognitoUserId} = report.updated[index]
      try {
        await client.query('UPDATE users SET cognito_user_id = $1 WHERE uuid = $2', [cognitoUserId, row.uuid])
      } catch (error) {
        if ((error as {code?: string}).code !== '23505') throw error
        await client.query('ROLLBACK')
        // The sub is held either by a user this run just linked (two Cognito users share it) or by one already stored.
        const earlier = report.updated.slice(0, index).find((u) => u.cognitoUserId === cognitoUserId)?.handle
        const holder =
          earlier ??
          (await pool.query<{handle: string}>('SELECT handle FROM users WHERE cognito_user_id = $1', [cognitoUserId]))
            .rows[0]?.handle
        throw new CruddurError(
          'CONFLICT',
          `Cognito sub ${cognitoUserId} would link @${row.handle}, but ` +
            `@${holder ?? '(another user)'} ${earlier ? 'gets it too' : 'already has it'}: fix the ` +
            `Cognito users' sub/preferred_username or that user's cognito_user_id; nothing was changed.`,
          {cause: error},
        )
      }
    }

    await client.query(options.dryRun ? 'ROLLBACK' : 'COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }

  report.cognitoUsersWithoutHandle = [
    ...withoutHandle,
    ...cognitoUsers.filter((user) => user.preferredUsername && !matched.has(user.username)),
  ]
    .map((user) => ({preferredUsername: user.preferredUsername, sub: user.sub, username: user.username}))
    .sort((a, b) => (a.preferredUsername ?? a.username).localeCompare(b.preferredUsername ?? b.username))
  return report
}

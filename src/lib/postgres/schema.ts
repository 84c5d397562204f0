import type pg from 'pg'

/**
 * The users database schema as numbered migrations. `loadSchema` applies the ones not yet applied, each in
 * its own transaction, so later versions migrate forward instead of dropping data.
 */
export const MIGRATIONS: ReadonlyArray<{version: number; description: string; sql: string}> = [
  {
    description: 'users and activities',
    sql: `
      CREATE TABLE users (
        uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        display_name text NOT NULL,
        handle text NOT NULL,
        email text NOT NULL UNIQUE,
        cognito_user_id text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- Handles are unique whatever their case: @Londo and @londo are one person.
      CREATE UNIQUE INDEX users_handle_lower_key ON users (lower(handle));
      CREATE TABLE activities (
        uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_uuid uuid NOT NULL REFERENCES users (uuid),
        message text NOT NULL,
        replies_count integer NOT NULL DEFAULT 0,
        reposts_count integer NOT NULL DEFAULT 0,
        likes_count integer NOT NULL DEFAULT 0,
        reply_to_activity_uuid uuid REFERENCES activities (uuid),
        expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX activities_user_uuid_idx ON activities (user_uuid);
    `,
    version: 1,
  },
]

export interface SchemaLoadResult {
  applied: number[]
  version: number
}

export async function loadSchema(pool: pg.Pool): Promise<SchemaLoadResult> {
  const client = await pool.connect()
  try {
    // One loader at a time: two concurrent schema-loads must not both apply a migration.
    await client.query('SELECT pg_advisory_lock(7412)')
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const {rows} = await client.query<{version: number}>('SELECT version FROM schema_migrations')
    const done = new Set(rows.map((row) => row.version))
    const applied: number[] = []
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue
      await client.query('BEGIN')
      try {
        await client.query(migration.sql)
        await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [
          migration.version,
          migration.description,
        ])
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK')
        throw error
      }

      applied.push(migration.version)
    }

    return {applied, version: Math.max(0, ...MIGRATIONS.map((m) => m.version))}
  } finally {
    await client.query('SELECT pg_advisory_unlock(7412)').catch(() => {})
    client.release()
  }
}

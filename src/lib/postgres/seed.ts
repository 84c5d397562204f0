import type pg from 'pg'

import {SEED_USERS, type SeedUser} from '../seed-users.js'

export interface SeedOptions {
  /** How many generated users to add besides the seed users. */
  users?: number
  /** Makes the generated users the same on every run. */
  seed?: number
}

export interface SeedResult {
  /** Handles of the users this run added. */
  inserted: string[]
  /** Users that were there already (same handle, whatever its case, or same email). */
  skipped: number
  /** Users in the table afterwards. */
  total: number
}

/** `count` people from faker, with handles unique among themselves and the seed users. */
export async function generateUsers(count: number, seed?: number): Promise<SeedUser[]> {
  if (count <= 0) return []
  const {Faker, en} = await import('@faker-js/faker')
  const faker = new Faker({locale: [en]})
  if (seed !== undefined) faker.seed(seed)
  const taken = new Set(SEED_USERS.map((user) => user.handle))
  const users: SeedUser[] = []
  while (users.length < count) {
    const firstName = faker.person.firstName()
    const lastName = faker.person.lastName()
    const base = faker.internet
      .username({firstName, lastName})
      .toLowerCase()
      .replaceAll(/[^a-z0-9_]/g, '_')
    let handle = base
    for (let n = 2; taken.has(handle); n++) handle = `${base}${n}`
    taken.add(handle)
    users.push({displayName: `${firstName} ${lastName}`, email: `${handle}@example.com`, handle})
  }

  return users
}

/**
 * Inserts the seed users and `options.users` generated ones. Users already there are skipped (ON CONFLICT
 * DO NOTHING on the case-insensitive handle and the email), so running it again adds nothing.
 */
export async function seedUsers(pool: pg.Pool, options: SeedOptions = {}): Promise<SeedResult> {
  const users = [...SEED_USERS, ...(await generateUsers(options.users ?? 0, options.seed))]
  const {rows} = await pool.query<{handle: string}>(
    `INSERT INTO users (display_name, handle, email)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT DO NOTHING
     RETURNING handle`,
    [users.map((u) => u.displayName), users.map((u) => u.handle), users.map((u) => u.email)],
  )
  const {rows: count} = await pool.query<{total: number}>('SELECT count(*)::int AS total FROM users')
  return {inserted: rows.map((row) => row.handle), skipped: users.length - rows.length, total: count[0].total}
}

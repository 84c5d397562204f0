import {Flags} from '@oclif/core'

import {TargetCommand} from '../../target-command.js'
import {postgresTargetJson, type PostgresTargetJson} from '../../lib/targets/postgres.js'
import {type SeedResult, seedUsers} from '../../lib/postgres/seed.js'

/** Shared with `db setup`. */
export const seedFlags = {
  users: Flags.integer({default: 0, description: 'Also add this many generated (faker) users.', min: 0, max: 100_000}),
  seed: Flags.integer({
    default: 1,
    description:
      'Seed for the generated users: the same seed makes the same users, so a rerun adds ' +
      'nothing; another seed, other users.',
  }),
}

export const describeSeed = (result: SeedResult) =>
  `Added ${result.inserted.length} ` +
  `user${result.inserted.length === 1 ? '' : 's'}${result.skipped ? ` (${result.skipped} there already)` : ''}; ` +
  `${result.total} in all.`

/** What `db seed --json` prints. */
export interface DbSeedResult extends SeedResult {
  target: PostgresTargetJson
}

export default class DbSeed extends TargetCommand<typeof DbSeed> {
  static override description =
    `Add Cruddur's seed users — Andrew Brown @andrewbrown, ` +
    `Andrew Bayko @bayko, Londo Mollari @londo — with cognito_user_id unset, and optionally ` +
    `generated ones.

Users already there (same handle in any case, or same email) are skipped, so running it ` +
    `again adds nothing. Generated users come from --seed (default 1): the same seed makes the ` +
    `same users, another seed makes new ones.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --users 50 --seed 42',
  ]

  static override flags = seedFlags

  async run(): Promise<DbSeedResult> {
    await this.confirmProd('add the seed users to the database', this.postgresTarget)
    const result = await seedUsers(await this.postgres(), {seed: this.flags.seed, users: this.flags.users})
    this.log(describeSeed(result))
    return {...result, target: postgresTargetJson(this.postgresTarget)}
  }
}

import {TargetCommand} from '../../target-command.js'
import {postgresTargetJson, type PostgresTargetJson} from '../../lib/targets/postgres.js'
import {describeSeed, seedFlags} from './seed.js'
import {createDatabase, databaseName, withMaintenancePool} from '../../lib/postgres/database.js'
import {loadSchema, type SchemaLoadResult} from '../../lib/postgres/schema.js'
import {type SeedResult, seedUsers} from '../../lib/postgres/seed.js'

/** What `db setup --json` prints. */
export interface DbSetupResult {
  /** false when the database existed already. */
  created: boolean
  database: string
  schema: SchemaLoadResult
  seed: SeedResult
  target: PostgresTargetJson
}

export default class DbSetup extends TargetCommand<typeof DbSetup> {
  static override description =
    'Create the PostgreSQL database if it is missing, load the schema and add the seed users: ' +
    '`db create`, `db schema-load` and `db seed` in one. Safe to run again.'

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --users 20 --seed 1',
  ]

  static override flags = seedFlags

  async run(): Promise<DbSetupResult> {
    const target = this.postgresTarget
    const name = databaseName(target.url)
    this.announcePostgres()
    await this.confirmProd(`create database ${name} if it is missing, load the schema and add the seed users`, target)
    const {created} = await withMaintenancePool(target.url, (admin) => createDatabase(admin, name))
    this.log(created ? `Created database ${name}.` : `Database ${name} exists already.`)
    const pool = await this.postgres()
    const schema = await loadSchema(pool)
    this.log(
      schema.applied.length > 0
        ? `Applied migration ${schema.applied.join(', ')}.`
        : `Schema is up to date (version ${schema.version}).`,
    )
    const seed = await seedUsers(pool, {seed: this.flags.seed, users: this.flags.users})
    this.log(describeSeed(seed))
    return {created, database: name, schema, seed, target: postgresTargetJson(target)}
  }
}

import {TargetCommand} from '../../target-command.js'
import {postgresTargetJson, type PostgresTargetJson} from '../../lib/targets/postgres.js'
import {
  createDatabase,
  type CreateDatabaseResult,
  databaseName,
  withMaintenancePool,
} from '../../lib/postgres/database.js'

/** What `db create --json` prints. */
export interface DbCreateResult extends CreateDatabaseResult {
  target: PostgresTargetJson
}

export default class DbCreate extends TargetCommand<typeof DbCreate> {
  static override description =
    `Create the PostgreSQL database the target URL names (cruddur by default).

Connects to the server's postgres maintenance database with the same login. A database ` +
    `that exists already is left alone.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --database-url postgresql://postgres:password@localhost:5432/cruddur_dev',
  ]

  async run(): Promise<DbCreateResult> {
    const target = this.postgresTarget
    const name = databaseName(target.url)
    this.announcePostgres()
    const result = await withMaintenancePool(target.url, (admin) => createDatabase(admin, name))
    this.log(result.created ? `Created database ${name}.` : `Database ${name} exists already; nothing to do.`)
    return {...result, target: postgresTargetJson(target)}
  }
}

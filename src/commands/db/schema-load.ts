import {TargetCommand} from '../../target-command.js'
import {postgresTargetJson, type PostgresTargetJson} from '../../lib/targets/postgres.js'
import {loadSchema, type SchemaLoadResult} from '../../lib/postgres/schema.js'

/** What `db schema-load --json` prints. */
export interface DbSchemaLoadResult extends SchemaLoadResult {
  target: PostgresTargetJson
}

export default class DbSchemaLoad extends TargetCommand<typeof DbSchemaLoad> {
  static override description =
    `Load the users schema (users, activities) into the PostgreSQL database.

The schema is versioned: each run applies only the migrations the database does not have ` +
    `yet, so running it twice is safe and later versions migrate forward without dropping data.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --prod']

  async run(): Promise<DbSchemaLoadResult> {
    const result = await loadSchema(await this.postgres())
    this.log(
      result.applied.length > 0
        ? `Applied migration ${result.applied.join(', ')}; schema is at version ${result.version}.`
        : `Schema is up to date (version ${result.version}).`,
    )
    return {...result, target: postgresTargetJson(this.postgresTarget)}
  }
}

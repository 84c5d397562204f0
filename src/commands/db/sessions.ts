import {TargetCommand} from '../../target-command.js'
import {renderTable} from '../../output.js'
import {postgresTargetJson, type PostgresTargetJson} from '../../lib/targets/postgres.js'
import {databaseName, type DatabaseSession, listSessions} from '../../lib/postgres/database.js'

/** What `db sessions --json` prints. */
export interface DbSessionsResult {
  /** The other connections to the database (not this command's own). */
  sessions: DatabaseSession[]
  target: PostgresTargetJson
}

export default class DbSessions extends TargetCommand<typeof DbSessions> {
  static override description =
    'List the open connections to the PostgreSQL database (other than this one): pid, user, ' +
    'client, application, state and when the current query started.'

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<DbSessionsResult> {
    const target = this.postgresTarget
    const sessions = await listSessions(await this.postgres(), databaseName(target.url))
    if (sessions.length === 0) this.log('No other sessions are connected.')
    else
      this.log(
        renderTable(
          ['pid', 'user', 'client', 'application', 'state', 'query start'],
          sessions.map((s) => [s.pid, s.user, s.client, s.application, s.state, s.queryStart]),
        ),
      )
    return {sessions, target: postgresTargetJson(target)}
  }
}

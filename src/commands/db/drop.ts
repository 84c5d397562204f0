import chalk from 'chalk'

import {TargetCommand} from '../../target-command.js'
import {renderTable} from '../../output.js'
import {postgresTargetJson, type PostgresTargetJson} from '../../lib/targets/postgres.js'
import {
  databaseExists,
  databaseName,
  type DatabaseSession,
  dropDatabase,
  type DropDatabaseResult,
  listSessions,
  withMaintenancePool,
} from '../../lib/postgres/database.js'

/** What `db drop --json` prints. */
export interface DbDropResult extends DropDatabaseResult {
  /** The other sessions that were connected, and were disconnected to drop it. */
  disconnected: DatabaseSession[]
  target: PostgresTargetJson
}

export default class DbDrop extends TargetCommand<typeof DbDrop> {
  static override description =
    `Drop the PostgreSQL database the target URL names (cruddur ` +
    `by default), with all its data.

On --prod it asks first (--yes without a terminal). Locally it asks only when other ` +
    `sessions are connected: it lists them, and with your yes (or --yes) disconnects them and ` +
    `drops the database anyway. A missing database is not an error.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --yes',
    '<%= config.bin %> <%= command.id %> --prod --yes',
  ]

  async run(): Promise<DbDropResult> {
    const target = this.postgresTarget
    const name = databaseName(target.url)
    this.announcePostgres()
    await this.confirmProd(`drop database ${name}`, target)
    const result = await withMaintenancePool(target.url, async (admin): Promise<Omit<DbDropResult, 'target'>> => {
      if (!(await databaseExists(admin, name))) return {database: name, disconnected: [], dropped: false}
      const sessions = await listSessions(admin, name)
      if (sessions.length > 0) await this.confirmSessions(name, sessions, target.kind === 'prod')
      return {...(await dropDatabase(admin, name, {force: sessions.length > 0})), disconnected: sessions}
    })
    this.log(result.dropped ? `Dropped database ${name}.` : `Database ${name} does not exist; nothing to do.`)
    return {...result, target: postgresTargetJson(target)}
  }

  /** Other sessions would lose their connection: show them, then ask (or need --yes). */
  private async confirmSessions(name: string, sessions: DatabaseSession[], confirmed: boolean): Promise<void> {
    const count = `${sessions.length} other session${sessions.length === 1 ? '' : 's'}`
    this.info(`${count} connected to ${name}:`)
    this.info(
      renderTable(
        ['pid', 'user', 'client', 'application', 'state'],
        sessions.map((s) => [s.pid, s.user, s.client, s.application, s.state]),
      ),
    )
    if (confirmed) return
    const pids = sessions.map((s) => s.pid).join(', ')
    const refusal =
      `${count} (pid ${pids}) ${sessions.length === 1 ? 'is' : 'are'} connected ` +
      `to ${name}, so nothing was dropped: close ${sessions.length === 1 ? 'it' : 'them'}, or ` +
      `pass --yes to disconnect ${sessions.length === 1 ? 'it' : 'them'} and drop anyway.`
    await this.confirm(`${chalk.yellow('Disconnect them and drop')} ${name}?`, {
      notConfirmed: refusal,
      noTerminal: refusal,
    })
  }
}

import {type ChildProcess, spawn} from 'node:child_process'

import {TargetCommand} from '../../target-command.js'
import {CruddurError} from '../../lib/errors.js'
import {psqlConnection} from '../../lib/postgres/psql.js'
import {postgresTargetJson, type PostgresTargetJson} from '../../lib/targets/postgres.js'

/** What `db connect --json` prints. */
export interface DbConnectResult {
  /** psql's exit code: always 0, as any other is an error. */
  exitCode: number
  target: PostgresTargetJson
}

export default class DbConnect extends TargetCommand<typeof DbConnect> {
  static override description = `Open psql on the PostgreSQL database. Arguments after -- go to psql.

The password is handed to psql through PGPASSWORD, never on its command line. Ctrl-C is psql's (it
cancels the running query); cruddur waits for psql to end.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -- -c "SELECT handle, cognito_user_id FROM users"',
  ]

  static override strict = false

  async run(): Promise<DbConnectResult> {
    const target = this.postgresTarget
    this.announcePostgres()
    const {password, url} = psqlConnection(target.url)
    // Not strict: whatever follows `--` is psql's.
    const {argv} = await this.parse(DbConnect)
    const psqlArgs = argv.map(String)
    // Ctrl-C and Ctrl-\ reach psql too (the terminal signals the whole group): they are psql's, to cancel a
    // query, and must not end cruddur under it. A SIGTERM sent to cruddur alone is passed on.
    const ignore = () => {}
    let child: ChildProcess | undefined
    const forward = () => child?.kill('SIGTERM')
    process.on('SIGINT', ignore).on('SIGQUIT', ignore).on('SIGTERM', forward)
    const code = await new Promise<number>((resolve, reject) => {
      child = spawn('psql', [url, ...psqlArgs], {
        env: {...process.env, ...(password ? {PGPASSWORD: password} : {})},
        stdio: 'inherit',
      })
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new CruddurError(
                'MISSING_TOOL',
                'psql is not installed: install the PostgreSQL client (e.g. `apt-get install ' +
                  'postgresql-client`), then retry.',
              )
            : error,
        ),
      )
      child.once('exit', (exitCode) => resolve(exitCode ?? 1))
    }).finally(() => process.off('SIGINT', ignore).off('SIGQUIT', ignore).off('SIGTERM', forward))
    if (code !== 0) throw new CruddurError('FAILED', `psql exited with code ${code}.`)
    return {exitCode: code, target: postgresTargetJson(target)}
  }
}

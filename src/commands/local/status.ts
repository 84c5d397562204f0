import {BaseCommand} from '../../base-command.js'
import {ExitCode} from '../../lib/errors.js'
import {renderTable} from '../../output.js'
import {describeLocalUserPool, type LocalStackServices, localStackStatus} from '../../lib/local/stack.js'

/** What `local status --json` prints. */
export type LocalStatusResult = LocalStackServices

export default class LocalStatus extends BaseCommand<typeof LocalStatus> {
  static override description =
    `Show each local service: whether it runs and answers, its ` +
    `port, pid and endpoint, and the local Cognito user pool and app client ids.

A service answers when it replies to a real request within 2 seconds (a frozen process ` +
    `still accepts connections). Exits 3 when any service is stopped or not answering, so CI ` +
    `can use it as a health check.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<LocalStatusResult> {
    const services = await localStackStatus(this.stateDir)
    this.log(
      renderTable(
        ['service', 'state', 'port', 'pid', 'endpoint', 'log'],
        services.map((s) => [s.service, s.state, s.port, s.pid, s.endpoint, s.log]),
      ),
    )
    const pool = describeLocalUserPool(services)
    if (pool) this.log(pool)
    // The result (and its --json) is printed either way; the exit code tells a health check the stack is not whole.
    if (services.some((s) => s.state !== 'running')) process.exitCode = ExitCode.unreachable
    return {services, stateDir: this.stateDir}
  }
}

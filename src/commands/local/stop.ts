import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {renderTable} from '../../output.js'
import {type LocalStackServices, stopLocalStack} from '../../lib/local/stack.js'

/** What `local stop --json` prints. */
export type LocalStopResult = LocalStackServices

export default class LocalStop extends BaseCommand<typeof LocalStop> {
  static override description =
    `Stop the services \`cruddur local start\` started (and ` +
    `nothing else). Data on disk is kept.

A recorded pid is signalled only while it is still the process that was started (same ` +
    `start time and command line): a pid reused after a reboot is left alone and its record ` +
    `removed, with a note. A state file that cannot be read is an error naming it; nothing is ` +
    `signalled.`

  static override examples = ['<%= config.bin %> <%= command.id %>']

  async run(): Promise<LocalStopResult> {
    const services = await stopLocalStack(this.stateDir, {onNote: (note) => this.info(chalk.yellow(`note: ${note}`))})
    this.log(
      renderTable(
        ['service', 'state', 'pid'],
        services.map((s) => [s.service, s.state, s.pid]),
      ),
    )
    return {services, stateDir: this.stateDir}
  }
}

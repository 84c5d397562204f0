import {BaseCommand} from '../../base-command.js'
import {renderTable} from '../../lib/output.js'

export default class LocalStop extends BaseCommand<typeof LocalStop> {
  static override description = 'Stop the services `cruddur local start` started (and nothing else). Data on disk is kept.'

  static override examples = ['<%= config.bin %> <%= command.id %>']

  async run() {
    const {stopLocalStack} = await import('../../lib/local/stack.js')
    const services = await stopLocalStack(this.stateDir)
    this.log(renderTable(['service', 'state', 'pid'], services.map((s) => [s.service, s.state, s.pid])))
    return {services, stateDir: this.stateDir}
  }
}

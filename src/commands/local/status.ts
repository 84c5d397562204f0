import {BaseCommand} from '../../base-command.js'
import {renderTable} from '../../lib/output.js'

export default class LocalStatus extends BaseCommand<typeof LocalStatus> {
  static override description = 'Show each local service: whether it runs and answers, its port, pid and endpoint, and the local Cognito user pool and app client ids.'

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run() {
    const {describeLocalUserPool, localStackStatus} = await import('../../lib/local/stack.js')
    const services = await localStackStatus(this.stateDir)
    this.log(renderTable(['service', 'state', 'port', 'pid', 'endpoint', 'log'], services.map((s) => [s.service, s.state, s.port, s.pid, s.endpoint, s.log])))
    const pool = describeLocalUserPool(services)
    if (pool) this.log(pool)
    return {services, stateDir: this.stateDir}
  }
}

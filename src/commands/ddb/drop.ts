import {Flags, ux} from '@oclif/core'

import {tableArgument, TargetCommand} from '../../target-command.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../lib/targets/dynamodb.js'
import {describeEndpoint} from '../../lib/targets/shared.js'
import {dropTable, type DropTableResult} from '../../lib/dynamodb/table-admin.js'

/** What `ddb drop --json` prints. */
export interface DdbDropResult extends DropTableResult {
  target: DynamoDbTargetJson
}

export default class Drop extends TargetCommand<typeof Drop> {
  static override description = 'Delete a table and wait until it is gone (asks first on --prod).'

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --if-exists',
    '<%= config.bin %> <%= command.id %> --prod --yes',
  ]

  static override args = {
    table: tableArgument,
  }

  static override flags = {
    'if-exists': Flags.boolean({description: 'A missing table is not an error.'}),
  }

  async run(): Promise<DdbDropResult> {
    const target = this.dynamoDbTarget
    await this.confirmProd(`delete table ${target.table} and all its items`, target)
    const {client} = await this.dynamodb()
    const result = await dropTable(client, target.table, {
      ifExists: this.flags['if-exists'],
      onWait: (what) => this.jsonEnabled() || ux.action.start(what),
    })
    if (ux.action.running) ux.action.stop()
    this.log(
      result.dropped
        ? `Dropped table ${target.table} on ${describeEndpoint(target)}.`
        : `Table ${target.table} does not exist on ${describeEndpoint(target)}; nothing to drop.`,
    )
    return {...result, target: dynamoDbTargetJson(target)}
  }
}

import {Flags, ux} from '@oclif/core'

import {TargetCommand} from '../../target-command.js'
import {CruddurError} from '../../lib/errors.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../lib/targets/dynamodb.js'
import {describeEndpoint} from '../../lib/targets/shared.js'
import {loadTableSchema, summarizeTable, type TableSummary} from '../../lib/dynamodb/table-admin.js'

/** What `ddb schema-load --json` prints. */
export interface DdbSchemaLoadResult {
  /** What an existing table was brought up to date with, in place. */
  changes: string[]
  created: boolean
  recreated: boolean
  table: TableSummary
  target: DynamoDbTargetJson
}

export default class SchemaLoad extends TargetCommand<typeof SchemaLoad> {
  static override description =
    `Create the messages table: keys pk/sk, the GSI ` +
    `message-group-sk-index, and a NEW_IMAGE stream.

Waits until the table and its index are ACTIVE. An existing table is checked as \`ddb ` +
    `doctor\` does and brought up to date in place, keeping its data: the stream enabled ` +
    `(NEW_IMAGE), a missing index created (asks first on --prod). Other keys are an error ` +
    `naming what differs. --recreate drops and creates it (asks first on --prod).`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --recreate',
    '<%= config.bin %> <%= command.id %> --prod --billing provisioned --read-capacity 5 --write-capacity 5',
  ]

  static override flags = {
    recreate: Flags.boolean({description: 'Drop the table first if it exists (its data is lost).'}),
    billing: Flags.option({
      default: 'on-demand' as const,
      description: 'Billing mode.',
      options: ['on-demand', 'provisioned'] as const,
    })(),
    'read-capacity': Flags.integer({description: 'Read capacity units (with --billing provisioned).', min: 1}),
    'write-capacity': Flags.integer({description: 'Write capacity units (with --billing provisioned).', min: 1}),
  }

  async run(): Promise<DdbSchemaLoadResult> {
    const target = this.dynamoDbTarget
    for (const flag of ['read-capacity', 'write-capacity'] as const) {
      if (this.flags[flag] !== undefined && this.flags.billing !== 'provisioned') {
        throw new CruddurError(
          'INVALID_INPUT',
          `--${flag} applies only to provisioned tables: add --billing provisioned, or leave out --${flag}.`,
        )
      }
    }

    if (this.flags.recreate) await this.confirmProd(`drop and recreate table ${target.table}`, target)
    const {client} = await this.dynamodb()
    const result = await loadTableSchema(client, {
      billing: this.flags.billing,
      confirm: (problems) => this.confirmProd(`change table ${target.table} in place (${problems.join('; ')})`, target),
      onWait: (what) => this.spin(what),
      readCapacity: this.flags['read-capacity'],
      recreate: this.flags.recreate,
      tableName: target.table,
      writeCapacity: this.flags['write-capacity'],
    })
    this.stopSpinner()
    if (result.created)
      this.log(
        `${result.recreated ? 'Recreated' : 'Created'} table ${result.table} on ` +
          `${describeEndpoint(target)} (index message-group-sk-index, stream NEW_IMAGE).`,
      )
    else if (result.changes.length > 0)
      this.log(
        `Table ${result.table} already existed on ${describeEndpoint(target)}; in place, keeping ` +
          `its data: ${result.changes.join('; ')}.`,
      )
    else this.log(`Table ${result.table} already exists with the right shape; nothing changed.`)
    return {
      changes: result.changes,
      created: result.created,
      recreated: result.recreated,
      table: summarizeTable(result.description),
      target: dynamoDbTargetJson(target),
    }
  }

  private spin(what: string): void {
    if (!this.jsonEnabled()) ux.action.start(what)
  }

  private stopSpinner(): void {
    if (ux.action.running) ux.action.stop()
  }
}

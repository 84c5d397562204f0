import {TargetCommand} from '../../target-command.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../lib/targets/dynamodb.js'
import {listTables} from '../../lib/dynamodb/tables.js'

/** What `ddb list-tables --json` prints. */
export interface ListTablesResult {
  tables: string[]
  target: DynamoDbTargetJson
}

export default class ListTables extends TargetCommand<typeof ListTables> {
  static override description = 'List every table on the target (all pages of ListTables).'

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --prod --region us-east-1',
    '<%= config.bin %> <%= command.id %> --json | jq -r ".tables[]"',
  ]

  async run(): Promise<ListTablesResult> {
    const {client} = await this.dynamodb()
    const tables = await listTables(client)
    for (const table of tables) this.log(table)
    if (tables.length === 0) this.info('(no tables)')
    return {tables, target: dynamoDbTargetJson(this.dynamoDbTarget)}
  }
}

import type {TableDescription} from '@aws-sdk/client-dynamodb'

import {tableArgument, TargetCommand} from '../../target-command.js'
import {renderTable} from '../../output.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../lib/targets/dynamodb.js'
import {describeTable, summarizeTable, type TableSummary} from '../../lib/dynamodb/table-admin.js'

/** What `ddb describe-table --json` prints. */
export interface DescribeTableResult {
  summary: TableSummary
  /** DescribeTable's answer, as DynamoDB gave it. */
  table: TableDescription
  target: DynamoDbTargetJson
}

export default class DescribeTable extends TargetCommand<typeof DescribeTable> {
  static override description =
    'Show a table: status, keys, indexes, stream, billing, item count and size. --json gives ' +
    'the full DescribeTable description.'

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> other-table --json',
  ]

  static override args = {
    table: tableArgument,
  }

  async run(): Promise<DescribeTableResult> {
    const target = this.dynamoDbTarget
    const {client} = await this.dynamodb()
    const description = await describeTable(client, target.table)
    const summary = summarizeTable(description)
    this.log(
      renderTable(
        ['', target.table],
        [
          ['status', summary.status],
          ['keys', summary.keys],
          ...summary.indexes.map((index) => [
            `index ${index.name}`,
            `${index.keys} · ${index.projection} · ${index.status}`,
          ]),
          ['stream', summary.streamArn ? `${summary.streamViewType} · ${summary.streamArn}` : 'off'],
          ['billing', summary.billing],
          ['items (approx.)', summary.itemCount],
          ['size (approx.)', `${summary.sizeBytes} bytes`],
        ],
      ),
    )
    return {summary, table: description, target: dynamoDbTargetJson(target)}
  }
}

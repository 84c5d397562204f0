import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {TargetCommand} from '../../target-command.js'
import {ITEM_FILTER_HELP, itemFilterFlags, resolveItemFilters} from '../../item-filter-flags.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../lib/targets/dynamodb.js'
import {writeWithBackpressure} from '../../lib/backpressure.js'
import {ProgressBar} from '../../lib/progress.js'
import {visible} from '../../lib/terminal-text.js'
import {scanItems} from '../../lib/dynamodb/scan.js'

const COLUMNS = ['pk', 'sk', 'user_handle', 'message'] as const

/** What `ddb scan --json` prints. */
export interface DdbScanResult {
  count: number
  items: Array<Record<string, unknown>>
  target: DynamoDbTargetJson
}

export default class Scan extends TargetCommand<typeof Scan> {
  static override description =
    `Read the table page by page, printing as it goes, so memory ` +
    `stays flat however large the table is.

--output ndjson prints one item per line (for jq and pipes). --json gathers the items into ` +
    `one document: for large tables prefer ndjson.

${ITEM_FILTER_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --limit 20',
    '<%= config.bin %> <%= command.id %> --type conversations',
    '<%= config.bin %> <%= command.id %> --user andrewbrown --since 2026-11-01',
    '<%= config.bin %> <%= command.id %> --group 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 --output ndjson',
    '<%= config.bin %> <%= command.id %> --output ndjson --segments 4 | jq -r .message',
  ]

  static override flags = {
    limit: Flags.integer({description: 'Stop after this many items.', min: 1}),
    ...itemFilterFlags,
    segments: Flags.integer({default: 1, description: 'Parallel scan segments.', max: 64, min: 1}),
    output: Flags.option({
      default: 'table' as const,
      description: 'Output format.',
      options: ['table', 'ndjson'] as const,
    })(),
  }

  async run(): Promise<DdbScanResult> {
    const target = this.dynamoDbTarget
    const filters = await resolveItemFilters(this.flags, () => this.postgres())
    const messages = await this.messagesTable()
    const json = this.jsonEnabled()
    const items: Array<Record<string, unknown>> = []
    const progress = new ProgressBar('scanning', this.flags.limit, {
      enabled: !json && this.flags.output === 'ndjson' && !process.stdout.isTTY,
    })
    const width = Math.max(20, (process.stdout.columns || 120) - 90)
    const table = !json && this.flags.output === 'table'
    // The header waits for the first page: a missing table is one error line, not a header and an error.
    const header = () =>
      this.log(chalk.bold(`${'pk'.padEnd(42)} ${'sk'.padEnd(62)} ${'user_handle'.padEnd(16)} message`))
    let count = 0
    for await (const item of scanItems(messages, {
      ...filters,
      limit: this.flags.limit,
      segments: this.flags.segments,
    })) {
      count++
      progress.tick()
      if (json) items.push(item)
      // Wait for a slow reader (a pipe) instead of buffering the table in memory.
      else if (this.flags.output === 'ndjson') {
        await writeWithBackpressure(process.stdout, JSON.stringify(item) + '\n')
      } else {
        if (count === 1) header()
        const [pk, sk, handle, message] = COLUMNS.map((column) => visible(String(item[column] ?? '')))
        this.log(
          `${pk.padEnd(42)} ${sk.padEnd(62)} ${handle.padEnd(16)} ` +
            `${message.length > width ? message.slice(0, width - 1) + '…' : message}`,
        )
      }
    }

    progress.stop()
    if (table && count === 0) header()
    this.info(chalk.dim(`${count} items`))
    return {count, items, target: dynamoDbTargetJson(target)}
  }
}

import {Args, Flags} from '@oclif/core'
import {createWriteStream, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'

import {TargetCommand} from '../../target-command.js'
import {ProgressBar} from '../../lib/progress.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../lib/targets/dynamodb.js'
import {checkFile, writeFile} from '../../lib/dynamodb/import.js'
import type {ItemFormat} from '../../lib/dynamodb/typed-json.js'
import {loadTableSchema} from '../../lib/dynamodb/table-admin.js'

/** What `ddb import --json` prints. */
export interface DdbImportResult {
  /** Whether --create-table had to create the table. */
  createdTable: boolean
  format: ItemFormat
  /** Items written. */
  items: number
  itemsPerSecond: number
  seconds: number
  target: DynamoDbTargetJson
}

export default class Import extends TargetCommand<typeof Import> {
  static override description =
    `Write the items of an export (a file, or - for stdin) into the table.

Reads either format of \`ddb export\` (told apart by the first line, or --format). The ` +
    `whole input is checked first: a line that is not JSON, an item without a string pk/sk or a ` +
    `value that does not fit its type stops the import with its line number (exit 2), and ` +
    `nothing is written. Then the items go 25 a BatchWriteItem, several in flight, unprocessed ` +
    `items retried until written, as \`ddb seed\`. Puts replace whole items, so importing a ` +
    `file twice leaves the same table. On --prod it asks first (or --yes).

Standard input is kept in a temporary file between the check and the writes, so memory stays flat.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> messages.ndjson',
    '<%= config.bin %> <%= command.id %> snapshot.json --table cruddur-copy --create-table',
    '<%= config.bin %> ddb export --prod --anonymize | <%= config.bin %> <%= command.id %> -',
  ]

  static override args = {
    file: Args.string({description: 'The export to read, or - for stdin.', name: 'FILE', required: true}),
  }

  static override flags = {
    format: Flags.option({
      description: 'Line format (default: detected from the first line).',
      options: ['ndjson', 'dynamodb-json'] as const,
    })(),
    'create-table': Flags.boolean({description: 'Create the table first (as schema-load) when it is missing.'}),
    concurrency: Flags.integer({default: 8, description: 'BatchWriteItem requests in flight.', max: 64, min: 1}),
  }

  private spool?: string

  async run(): Promise<DdbImportResult> {
    const target = this.dynamoDbTarget
    const path = this.args.file === '-' ? await this.spoolStdin() : this.args.file
    const checked = await checkFile(path, this.flags.format)
    await this.confirmProd(`import ${checked.items} items into table ${target.table}`, target)
    const table = await this.messagesTable()
    const {client} = table
    let created = false
    if (this.flags['create-table']) {
      created = (await loadTableSchema(client, {tableName: target.table})).created
      if (created) this.info(`Created table ${target.table}.`)
    }

    const progress = new ProgressBar('importing', checked.items, {enabled: !this.jsonEnabled()})
    const started = Date.now()
    const written = await writeFile(table, path, checked.format, {
      concurrency: this.flags.concurrency,
      onWritten: (count) => progress.tick(count),
    })
    progress.stop()
    const seconds = (Date.now() - started) / 1000
    const itemsPerSecond = Math.round(written / Math.max(seconds, 0.001))
    this.log(
      `Imported ${written} items (${checked.format}) into ${target.table} in ` +
        `${seconds.toFixed(2)}s (${itemsPerSecond} items/s).`,
    )
    return {
      createdTable: created,
      format: checked.format,
      items: written,
      itemsPerSecond,
      seconds,
      target: dynamoDbTargetJson(target),
    }
  }

  /** Standard input can be read once: it is kept in a file for the check and the writes. */
  private async spoolStdin(): Promise<string> {
    this.spool = mkdtempSync(join(tmpdir(), 'cruddur-import-'))
    const path = join(this.spool, 'stdin')
    await pipeline(process.stdin, createWriteStream(path))
    return path
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    if (this.spool) rmSync(this.spool, {force: true, recursive: true})
    return super.finally(error)
  }
}

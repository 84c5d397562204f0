import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {TargetCommand} from '../../target-command.js'
import {ITEM_FILTER_HELP, itemFilterFlags, resolveItemFilters} from '../../item-filter-flags.js'
import {CruddurError} from '../../lib/errors.js'
import {type AtomicFile, openFileAtomically} from '../../lib/private-files.js'
import {ProgressBar} from '../../lib/progress.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../lib/targets/dynamodb.js'
import {exportItems, type ExportResult} from '../../lib/dynamodb/export.js'
import type {ItemFormat} from '../../lib/dynamodb/typed-json.js'

/** What `ddb export --json` prints. */
export interface DdbExportResult extends ExportResult {
  /** Absent unless --anonymize was passed (oclif leaves a boolean flag undefined when it is not). */
  anonymized?: boolean
  format: ItemFormat
  /** The file written; null for stdout. */
  output: string | null
  target: DynamoDbTargetJson
}

export default class Export extends TargetCommand<typeof Export> {
  static override description =
    `Write the table's items to a file or stdout, one item per line, as they are read.

Read-only (no confirmation on --prod). Parallel scan segments, memory flat whatever the ` +
    `table's size (except --sorted), a progress bar on stderr on a terminal, a summary at the end.

--format ndjson (default) is plain JSON, as \`ddb scan --output ndjson\`: numbers become ` +
    `doubles, sets arrays, binaries base64. --format dynamodb-json is one {"Item": {…}} per ` +
    `line in DynamoDB's typed JSON (as DynamoDB's export to S3) and keeps every type exactly. ` +
    `\`ddb import\` reads both.

--sorted writes in pk, sk order so two exports can be diffed: it holds the whole export in ` +
    `memory (about the size of the output) until the table is read.

--anonymize replaces message texts (\`message\` of messages and conversation rows) and ` +
    `display names (\`user_display_name\`) by generated text of the same length, the same in ` +
    `every export; keys, uuids, handles and times are kept, so the patterns work on the copy: ` +
    `\`cruddur ddb export --prod --anonymize | cruddur ddb import -\`.

--output FILE is written beside it and renamed when complete (readable by you alone): an interrupted ` +
    `export never leaves a partial file. Without --output, --json prints the items only (no summary after them).

${ITEM_FILTER_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --output messages.ndjson',
    '<%= config.bin %> <%= command.id %> --format dynamodb-json --sorted > snapshot.json',
    '<%= config.bin %> <%= command.id %> --prod --anonymize | <%= config.bin %> ddb import -',
    '<%= config.bin %> <%= command.id %> --group 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 --format dynamodb-json',
  ]

  static override flags = {
    output: Flags.string({char: 'o', description: 'File to write (default: stdout).'}),
    format: Flags.option({
      default: 'ndjson' as const,
      description: 'Line format.',
      options: ['ndjson', 'dynamodb-json'] as const,
    })(),
    sorted: Flags.boolean({description: 'Write in pk, sk order (holds the export in memory).'}),
    anonymize: Flags.boolean({
      description: 'Replace message texts and display names by generated text of the same length.',
    }),
    ...itemFilterFlags,
    segments: Flags.integer({default: 4, description: 'Parallel scan segments.', max: 64, min: 1}),
  }

  async run(): Promise<DdbExportResult> {
    const target = this.dynamoDbTarget
    const filters = await resolveItemFilters(this.flags, () => this.postgres())
    const table = await this.messagesTable()
    const file = this.flags.output ? await openOutput(this.flags.output) : undefined
    const out = file?.stream ?? process.stdout
    // On a terminal, and not when the items themselves go to the terminal.
    const progress = new ProgressBar('exporting', undefined, {
      enabled: !this.jsonEnabled() && (Boolean(this.flags.output) || !process.stdout.isTTY),
    })
    const result = await exportItems(table, out, {
      ...filters,
      anonymize: this.flags.anonymize,
      format: this.flags.format,
      onItem: () => progress.tick(),
      segments: this.flags.segments,
      sorted: this.flags.sorted,
    }).catch((error: unknown) => {
      file?.discard()
      throw error
    })
    await file?.commit()

    progress.stop()
    this.info(
      chalk.dim(
        `Exported ${result.items} items in ${result.seconds.toFixed(2)}s (${result.itemsPerSecond} ` +
          `items/s)${this.flags.output ? ` to ${this.flags.output}` : ''}.`,
      ),
    )
    return {
      ...result,
      anonymized: this.flags.anonymize,
      format: this.flags.format,
      output: this.flags.output ?? null,
      target: dynamoDbTargetJson(target),
    }
  }

  /** Without --output the items are the output, --json or not: no summary document after them on stdout. */
  protected override logJson(json: unknown): void {
    if (this.flags.output) super.logJson(json)
  }
}

/** The --output file, opened before any reading: a path that cannot be written is one line at once. */
async function openOutput(path: string): Promise<AtomicFile> {
  try {
    return await openFileAtomically(path)
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    throw new CruddurError(
      'INVALID_INPUT',
      `Cannot write --output ${path} (${code ?? String(error)}): ` +
        'give a file in an existing directory you can write to.',
      {cause: error},
    )
  }
}

import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {TargetCommand} from '../../../target-command.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../../lib/targets/dynamodb.js'
import {abortOnSignals} from '../../../lib/interrupt.js'
import type {StreamRecord} from '../../../lib/stream/records.js'
import {tailStream} from '../../../lib/stream/tail.js'
import {createStreamsClient} from '../../../lib/stream/clients.js'
import {writeWithBackpressure} from '../../../lib/backpressure.js'
import {visible} from '../../../lib/terminal-text.js'
import {isConversationRow, isMessageItem} from '../../../lib/dynamodb/items.js'

/** What `ddb stream tail` returns; `--json` prints the records instead, one JSON line each, and not this. */
export interface StreamTailResult {
  records: number
  streamArn: string
  target: DynamoDbTargetJson
}

export default class StreamTail extends TargetCommand<typeof StreamTail> {
  static override description =
    `Print the table's stream records as they arrive, for ` +
    `debugging; nothing is changed or checkpointed.

Starts at the end of the stream (--from now) and prints new records until Ctrl-C; --from ` +
    `start prints the whole stream (the last 24 hours). --once prints what there is and exits ` +
    `(and starts at the beginning unless --from is given). --json prints one record per line ` +
    `(ndjson), as Lambda would receive it.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --once --json | jq -c .dynamodb.Keys',
    '<%= config.bin %> <%= command.id %> --prod --from now',
  ]

  static override flags = {
    from: Flags.option({
      description:
        'Where to start: the beginning of the stream, or new records only (default: now; start with --once).',
      options: ['start', 'now'] as const,
    })(),
    once: Flags.boolean({description: 'Print the records there are, then exit.'}),
    'poll-interval': Flags.integer({
      default: 250,
      description: 'Milliseconds between reads of a caught-up stream.',
      min: 10,
    }),
  }

  private printedRecords = false

  async run(): Promise<StreamTailResult> {
    const target = this.dynamoDbTarget
    const {client} = await this.dynamodb()
    const streams = createStreamsClient(target)
    const from = this.flags.from ?? (this.flags.once ? 'start' : 'now')
    const interrupt = abortOnSignals()
    const json = this.jsonEnabled()
    try {
      if (!this.flags.once)
        this.info(chalk.dim(`tailing ${from === 'now' ? 'new records' : 'from the start'} · Ctrl-C to stop`))
      const {records, streamArn} = await tailStream({
        client,
        from: from === 'start' ? 'trim-horizon' : 'latest',
        once: this.flags.once,
        async onRecord(record) {
          const line = json ? JSON.stringify(record) : describeRecord(record)
          // Respect a slow reader instead of buffering the stream in memory.
          await writeWithBackpressure(process.stdout, line + '\n')
        },
        pollIntervalMs: this.flags['poll-interval'],
        signal: interrupt.signal,
        streams,
        table: target.table,
      })
      this.info(chalk.dim(`${records} records · ${streamArn}`))
      this.printedRecords = true
      return {records, streamArn, target: dynamoDbTargetJson(target)}
    } finally {
      interrupt.dispose()
      streams.destroy()
    }
  }

  /** ndjson is the output under --json: no closing summary document on stdout (errors still print theirs). */
  protected override logJson(json: unknown): void {
    if (!this.printedRecords) super.logJson(json)
  }
}

function describeRecord(record: StreamRecord): string {
  const {ApproximateCreationDateTime: created, Keys: keys, SequenceNumber: sequence} = record.dynamodb ?? {}
  const time = created === undefined ? '' : new Date(created * 1000).toISOString()
  const key = {pk: keys?.pk?.S}
  const kind = isMessageItem(key) ? 'message' : isConversationRow(key) ? 'conversation' : 'item'
  const name = (record.eventName ?? '?').padEnd(6)
  const color = record.eventName === 'INSERT' ? chalk.green : record.eventName === 'REMOVE' ? chalk.red : chalk.yellow
  const shownKeys = `${visible(keys?.pk?.S ?? '')} ${visible(keys?.sk?.S ?? '')}`
  return `${chalk.dim(time)} ${color(name)} ${kind.padEnd(12)} ${shownKeys} ${chalk.dim(`#${sequence ?? '?'}`)}`
}

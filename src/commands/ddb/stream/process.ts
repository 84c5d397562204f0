import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {TargetCommand} from '../../../target-command.js'
import {abortOnSignals} from '../../../lib/interrupt.js'
import {CruddurError} from '../../../lib/errors.js'
import {actionsFor} from '../../../translate-error.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../../lib/targets/dynamodb.js'
import {isMessageItem, messageGroupUuidOf} from '../../../lib/dynamodb/items.js'
import {createStreamHandler, type StreamLogEntry} from '../../../lib/stream/handler.js'
import {
  type FailedRecord,
  processStream,
  type ProcessStreamResult,
  type StreamProgress,
  type StreamWarning,
} from '../../../lib/stream/processor.js'
import {createStreamsClient, endpointKey} from '../../../lib/stream/clients.js'
import {refreshAfterApply} from '../../../lib/momento/pattern-cache.js'
import {appendGivenUp, givenUpFile} from '../../../lib/stream/given-up.js'

/** A record given up on, with the handler's last error (null when it gave none). */
type GivenUpRecord = FailedRecord & {error: string | null}

/** What `ddb stream process --json` prints. */
export interface StreamProcessResult extends Omit<ProcessStreamResult, 'failed'> {
  failed: GivenUpRecord[]
  target: DynamoDbTargetJson
}

export default class StreamProcess extends TargetCommand<typeof StreamProcess> {
  static override description =
    `Run Pattern D from the table's stream, locally, as the Lambda does in production.

Reads the stream of DynamoDB Local (every shard, parents before children), hands new ` +
    `records to the same handler the Lambda runs in batches shaped like Lambda's, and keeps a ` +
    `checkpoint per shard in the state directory, so a restart continues after the last record ` +
    `it finished. A record that keeps failing is retried, then given up and reported (exit 1). ` +
    `--once drains what the stream holds and exits; otherwise it runs until Ctrl-C, showing the ` +
    `records processed and how far behind it is on stderr. In production the Lambda in infra/ ` +
    `does this work.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --once',
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --once --json | jq .records',
  ]

  static override flags = {
    once: Flags.boolean({description: 'Process what the stream holds, then exit.'}),
    'batch-size': Flags.integer({
      default: 100,
      description: "Records per handler invocation (the mapping's BatchSize).",
      max: 1000,
      min: 1,
    }),
    'max-retries': Flags.integer({
      default: 3,
      description: "Retries of a failing record before it is given up (the mapping's MaximumRetryAttempts).",
      max: 100,
      min: 0,
    }),
    'poll-interval': Flags.integer({
      default: 250,
      description: 'Milliseconds between reads of a caught-up stream.',
      min: 10,
    }),
    cache: Flags.boolean({
      allowNo: true,
      description:
        "Refresh the read patterns' cached first pages after each message (default: when MOMENTO_CACHE_NAME is set).",
    }),
  }

  async run(): Promise<StreamProcessResult> {
    // Refused from the flag alone: no production setting is even read.
    if (this.flags.prod) {
      throw new CruddurError(
        'INVALID_INPUT',
        'In production the Lambda processes the stream (see infra/): `stream process` is for local targets',
        {actions: ['see the production stream with `cruddur ddb stream tail --prod`']},
      )
    }

    const target = this.dynamoDbTarget
    const table = await this.messagesTable()
    const {client} = table
    const streams = createStreamsClient(target)
    const errors = new Map<string, string>()
    const log = (entry: StreamLogEntry) => {
      if (entry.event === 'recordFailed') errors.set(String(entry.sequenceNumber), String(entry.errorMessage))
      this.debugLog(JSON.stringify(entry))
    }
    const cache = await this.patternCache()
    const handler = createStreamHandler({afterApply: cache && refreshAfterApply(cache, table), log, table})
    const withError = (record: FailedRecord): GivenUpRecord => ({
      ...record,
      error: errors.get(record.sequenceNumber) ?? null,
    })
    // Kept like production's on-failure queue, so nothing given up is lost with the terminal's scrollback.
    const givenUp = givenUpFile(this.stateDir)
    const interrupt = abortOnSignals()
    const status = this.statusLine()
    try {
      const result = await processStream({
        batchSize: this.flags['batch-size'],
        client,
        endpoint: endpointKey(target),
        handler,
        maxRetries: this.flags['max-retries'],
        once: this.flags.once,
        // Kept before the checkpoint moves past it: a run that ends with an error or is killed loses none.
        onGiveUp(record) {
          const failed = withError(record)
          appendGivenUp(givenUp, {...failed, at: new Date().toISOString(), table: target.table})
          status.print(chalk.red(gaveUpLine(failed)))
        },
        onLockWait: (message) => this.logToStderr(message),
        // --once shows its catch-up on a terminal; into a log, its summary line is enough.
        onProgress: this.flags.once && !process.stderr.isTTY ? undefined : status.update,
        onWarning: (warning) => status.print(chalk.yellow(warningLine(warning))),
        pollIntervalMs: this.flags['poll-interval'],
        signal: interrupt.signal,
        stateDir: this.stateDir,
        streams,
        table: target.table,
      })
      status.done()
      const failed = result.failed.map((record) => withError(record))
      this.info(
        `${count(result.records, 'record')} processed: ${count(result.applied, 'message')} applied ` +
          `(${count(result.rowsUpdated, 'conversation row')} moved), ` +
          `${count(result.ignored, 'other record')} passed over, ` +
          `${count(result.batches, 'batch', 'batches')}` +
          `${result.retries ? `, ${count(result.retries, 'retry', 'retries')}` : ''}`,
      )
      if (failed.length > 0) {
        this.logToStderr(`${count(failed.length, 'given-up record')} appended to ${givenUp}`)
        // The summary is still printed (and --json still parses); the exit code tells scripts work was lost.
        process.exitCode = 1
      }

      return {...result, failed, target: dynamoDbTargetJson(target)}
    } finally {
      interrupt.dispose()
      streams.destroy()
    }
  }

  /** The running count on stderr: redrawn in place on a terminal, a line now and then elsewhere. */
  private statusLine() {
    const tty = Boolean(process.stderr.isTTY) && !this.jsonEnabled()
    let last = 0
    let lastRecords = -1
    let drawn = false
    return {
      done: () => {
        if (drawn && tty) process.stderr.write('\n')
      },
      /** A line of its own, in place of the running count on a terminal (the next update draws it again below). */
      print: (line: string) => {
        if (drawn && tty) process.stderr.write('\r\u001B[2K')
        drawn = false
        this.logToStderr(line)
      },
      update: (progress: StreamProgress) => {
        const now = Date.now()
        if (this.jsonEnabled() || now - last < (tty ? 200 : 5000)) return
        // Into a log file, a line only when there is news.
        if (!tty && progress.records === lastRecords) return
        last = now
        lastRecords = progress.records
        const behind = progress.caughtUp ? 'caught up' : `~${progress.lagSeconds ?? '?'}s behind`
        const line =
          `${count(progress.records, 'record')} · ${count(progress.applied, 'message')} ` +
          `applied · ${behind}${progress.failed.length ? chalk.red(` · ${progress.failed.length} given up`) : ''}`
        drawn = true
        if (tty) process.stderr.write(`\r\u001B[2K${line}`)
        else this.logToStderr(line)
      },
    }
  }
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** A given-up record, with the command that repairs its conversation when it is a message. */
function gaveUpLine(record: GivenUpRecord): string {
  const group = record.pk !== undefined && isMessageItem(record) ? messageGroupUuidOf({pk: record.pk}) : undefined
  const repair = group ? `; to repair, ${actionsFor({messageGroupUuid: group, step: 'refresh-conversation'})[0]}` : ''
  return (
    `gave up on ${record.pk} ${record.sk} (shard ${record.shardId}, sequence ${record.sequenceNumber}) after ` +
    `${record.attempts} attempts: ${record.error ?? 'the handler failed'}${repair}`
  )
}

/** A processor's warning as one line: the problem, then the command that acts on it. */
const warningLine = ({hint, message}: StreamWarning) =>
  `warning: ${message}${hint ? `: ${actionsFor(hint).join(', or ')}` : ''}.`

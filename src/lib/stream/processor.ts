import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {DynamoDBStreamsClient} from '@aws-sdk/client-dynamodb-streams'

import type {StreamBatchOutcome} from './handler.js'
import {CruddurError, type ErrorHint} from '../errors.js'
import {backoff, sleep} from '../sleep.js'
import {CheckpointStore, LockAborted, retireStaleCheckpoints} from './checkpoints.js'
import {keysOf, type StreamBatchResponse, type StreamEvent, type StreamRecord} from './records.js'
import {latestStreamArn, ShardPositionError, StreamReader} from './shards.js'

export interface FailedRecord {
  shardId: string
  sequenceNumber: string
  pk?: string
  sk?: string
  attempts: number
}

export interface StreamProgress {
  /** Records handed to the handler and finished with (applied, ignored or given up on). */
  records: number
  /** New messages applied (a redelivered one counts again). */
  applied: number
  /** Conversation rows moved to a newer last message. */
  rowsUpdated: number
  /** Other records (conversation rows, edits, deletes), passed over. */
  ignored: number
  batches: number
  /** Invocations that had to be repeated for failed records. */
  retries: number
  failed: FailedRecord[]
  /** Seconds between the newest handled record's creation and now; 0 when caught up. */
  lagSeconds: number | null
  caughtUp: boolean
}

export interface ProcessStreamResult extends StreamProgress {
  streamArn: string
  shards: number
  checkpointFile: string
}

export interface ProcessStreamOptions {
  client: DynamoDBClient
  streams: DynamoDBStreamsClient
  table: string
  /** Where the endpoint is (URL, or `aws:<region>`): tells the same table's streams on other endpoints apart. */
  endpoint: string
  stateDir: string
  handler: (event: StreamEvent) => Promise<StreamBatchResponse | StreamBatchOutcome>
  /** Records per invocation, like the event source mapping's BatchSize. */
  batchSize?: number
  /** Retries of a failing record before it is given up (as the mapping's MaximumRetryAttempts). */
  maxRetries?: number
  /**
   * Drain what the stream holds when it starts (every open shard read to its end), then return; otherwise poll until
   * `signal` aborts.
   */
  once?: boolean
  signal?: AbortSignal
  pollIntervalMs?: number
  /** How often a caught-up processor asks whether its table was re-created or dropped (default 5000 ms). */
  tableCheckIntervalMs?: number
  retryDelayMs?: number
  onProgress?: (progress: StreamProgress) => void
  /** Told once when the lock is being taken over by another processor and this one waits for it. */
  onLockWait?: (message: string) => void
  /**
   * Told of each record given up, before its checkpoint moves past it: where it must be kept, so a processor that
   * ends with an error (or is killed) right after loses nothing. If it throws, the record is not given up.
   */
  onGiveUp?: (record: FailedRecord) => void
  /** Told of what the user should know while processing goes on (records trimmed before they were processed). */
  onWarning?: (warning: StreamWarning) => void
}

/** A problem that does not stop the processor; `hint` is the next step, for the CLI to name. */
export interface StreamWarning {
  message: string
  hint?: ErrorHint
}

class Aborted extends Error {}

/**
 * `cruddur ddb stream process`: what Lambda's event source mapping does in production, on a laptop. Reads the
 * table's stream (every shard, parents before children), hands the records to the handler in Lambda-shaped
 * batches, and checkpoints each shard only up to the records the handler finished: a partial batch failure is
 * retried from its lowest failed sequence number, as Lambda does, and a record still failing after
 * `maxRetries` retries is given up (reported in `failed`), as the mapping's on-failure destination does.
 * It follows the table's current stream: a re-created table's new stream is read (the old one's checkpoints
 * removed), a dropped table ends it with an error.
 */
export async function processStream(options: ProcessStreamOptions): Promise<ProcessStreamResult> {
  const batchSize = options.batchSize ?? 100
  const maxRetries = options.maxRetries ?? 3
  const {signal} = options
  const progress: StreamProgress = {
    applied: 0,
    batches: 0,
    caughtUp: false,
    failed: [],
    ignored: 0,
    lagSeconds: null,
    records: 0,
    retries: 0,
    rowsUpdated: 0,
  }
  let tableCheckedAt = Date.now()
  const open = async (streamArn: string) => {
    const identity = {endpoint: options.endpoint, streamArn, table: options.table}
    retireStaleCheckpoints(options.stateDir, identity)
    const store = new CheckpointStore(options.stateDir, identity)
    await store.lock(signal, options.onLockWait)
    return {
      checkpoints: store,
      reader: new StreamReader(options.streams, streamArn, {
        batchSize,
        onTrimmed: (shardId, after) => options.onWarning?.(trimmedWarning(shardId, after)),
        positions: store.shards,
        start: 'trim-horizon',
      }),
    }
  }

  let checkpoints: CheckpointStore
  let reader: StreamReader
  try {
    ;({checkpoints, reader} = await open(await latestStreamArn(options.client, options.table)))
  } catch (error) {
    // Stopped while waiting for the lock: nothing was done.
    if (error instanceof LockAborted) return {...progress, checkpointFile: '', shards: 0, streamArn: ''}
    throw error
  }

  /** Invokes the handler until every record of the page is done with, checkpointing as it goes. */
  const deliver = async (shardId: string, records: StreamRecord[]) => {
    let pending = records
    let attempts = 0
    while (pending.length > 0) {
      if (signal?.aborted) throw new Aborted()
      let failedAt: number
      try {
        progress.batches++
        const response = await options.handler({Records: pending})
        failedAt = firstFailure(pending, response)
        // Counted per invocation: a redelivered message counts again.
        progress.applied += (response as Partial<StreamBatchOutcome>).applied ?? 0
        progress.ignored += (response as Partial<StreamBatchOutcome>).ignored ?? 0
        progress.rowsUpdated += (response as Partial<StreamBatchOutcome>).rowsUpdated ?? 0
      } catch {
        // A handler that throws failed the whole invocation.
        failedAt = 0
      }

      if (failedAt > 0) {
        checkpoints.advance(shardId, pending[failedAt - 1].dynamodb!.SequenceNumber!)
        progress.records += failedAt
        attempts = 0
      }

      if (failedAt === pending.length) break
      pending = pending.slice(failedAt)
      if (attempts >= maxRetries) {
        // Given up only for its own sake: a table that is gone, or a DynamoDB that does not answer, ends the processor.
        if ((await currentStreamArn(options.client, options.table)) === undefined) throw tableDropped(checkpoints)
        const [given] = pending
        const record: FailedRecord = {
          attempts: attempts + 1,
          sequenceNumber: given.dynamodb!.SequenceNumber!,
          shardId,
          ...keysOf(given),
        }
        options.onGiveUp?.(record)
        progress.failed.push(record)
        checkpoints.advance(shardId, given.dynamodb!.SequenceNumber!)
        progress.records++
        pending = pending.slice(1)
        attempts = 0
        continue
      }

      attempts++
      progress.retries++
      await backoff(attempts - 1, {baseMs: options.retryDelayMs ?? 200, capMs: Infinity, jitter: false}, signal)
    }

    const created = records.at(-1)!.dynamodb?.ApproximateCreationDateTime
    progress.lagSeconds = created === undefined ? null : Math.max(0, Math.round(Date.now() / 1000 - created))
    progress.caughtUp = false
    options.onProgress?.({...progress})
  }

  try {
    for (;;) {
      let read = 0
      let streamGone: Error | undefined
      try {
        read = await reader.poll(deliver, signal)
      } catch (error) {
        if (error instanceof Aborted) break
        if (error instanceof ShardPositionError) throw checkpoints.corrupt(error.message)
        // The stream went away under the reader: whether its table did is asked below.
        if ((error as Error).name !== 'ResourceNotFoundException') throw error
        streamGone = error as Error
      }

      for (const [shardId, position] of reader.positions)
        if (position.finished && !checkpoints.shards[shardId]?.finished) checkpoints.finish(shardId)
      if (!streamGone) checkpoints.prune(reader.shardIds)
      if (signal?.aborted) break
      // An empty page proves nothing yet: read on, without a pause, until every open shard is drained.
      if (read > 0 || (!streamGone && !reader.caughtUp)) continue
      // A DescribeTable on every poll would be four a second all day: the table is asked after every few seconds,
      // and at once when a read failed as reads of a replaced stream do.
      const replacedSigns = reader.takeReplacedSigns()
      const checkDue = Date.now() - tableCheckedAt >= (options.tableCheckIntervalMs ?? 5000)
      if (streamGone || replacedSigns || checkDue || options.once) {
        tableCheckedAt = Date.now()
        const latest = await currentStreamArn(options.client, options.table)
        if (latest === undefined) throw tableDropped(checkpoints)

        if (latest !== reader.streamArn) {
          // The table was re-created: the old stream's records are of rows that are gone.
          checkpoints.retire()
          try {
            ;({checkpoints, reader} = await open(latest))
          } catch (error) {
            if (error instanceof LockAborted) break
            throw error
          }

          continue
        }

        if (streamGone) throw streamGone
      }

      progress.caughtUp = true
      progress.lagSeconds = 0
      options.onProgress?.({...progress})
      if (options.once) break
      await sleep(options.pollIntervalMs ?? 250, signal)
    }
  } finally {
    checkpoints.unlock()
  }

  return {...progress, checkpointFile: checkpoints.file, shards: reader.shardIds.length, streamArn: reader.streamArn}
}

/** The table is gone: its stream's checkpoints are of no further use. */
function tableDropped(checkpoints: CheckpointStore): CruddurError {
  checkpoints.retire()
  return new CruddurError(
    'TABLE_MISSING',
    `Table ${checkpoints.identity.table} was deleted while its stream was being processed (its checkpoints are ` +
      `removed)`,
    {hint: {step: 'recreate-table'}},
  )
}

/** Records of a shard lost to the stream's 24-hour retention: rows they would have moved may be stale. */
function trimmedWarning(shardId: string, after: string | undefined): StreamWarning {
  const gap = after === undefined ? 'its first records' : `the records after sequence ${after} (its checkpoint)`
  return {
    hint: {step: 'repair-stale-rows'},
    message:
      `shard ${shardId}: ${gap} left the stream (kept 24 hours) before they were processed; ` +
      `reading goes on from the oldest record left`,
  }
}

/** The table's current stream ARN, or undefined when the table is gone. */
async function currentStreamArn(client: DynamoDBClient, table: string): Promise<string | undefined> {
  try {
    return await latestStreamArn(client, table)
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined
    throw error
  }
}

/**
 * Where a response says the batch failed, as an index into `records` (records.length when it did not).
 * Lambda treats the lowest reported sequence number as the checkpoint, and an identifier it cannot match
 * as a failure of the whole batch.
 */
export function firstFailure(records: StreamRecord[], response: StreamBatchResponse | undefined): number {
  const failures = response?.batchItemFailures ?? []
  if (failures.length === 0) return records.length
  let lowest = records.length
  for (const {itemIdentifier} of failures) {
    const index = itemIdentifier
      ? records.findIndex((record) => record.dynamodb?.SequenceNumber === itemIdentifier)
      : -1
    if (index === -1) return 0
    lowest = Math.min(lowest, index)
  }

  return lowest
}

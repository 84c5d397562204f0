import {type MessageItem, messageGroupUuidOf} from '../dynamodb/items.js'
import type {MessagesTable} from '../dynamodb/messages-table.js'
import {type ApplyResult, applyMessageToConversation} from '../dynamodb/patterns/update-message-group.js'
import {
  compareSequenceNumbers,
  isMessageInsert,
  keysOf,
  messageOf,
  sequenceNumberOf,
  type StreamBatchResponse,
  type StreamEvent,
  type StreamRecord,
} from './records.js'

/** One structured log line. Keys and ids only: message text never reaches the logs. */
export interface StreamLogEntry {
  level: 'info' | 'warn' | 'error'
  event: 'batch' | 'recordFailed' | 'afterApplyFailed'
  [field: string]: unknown
}

export type ApplyMessage = (
  table: MessagesTable,
  message: MessageItem,
) => Promise<Pick<ApplyResult, 'updated'> & Partial<ApplyResult>>

export interface StreamHandlerDependencies {
  table: MessagesTable
  /** Pattern D; injectable so tests can make a record fail. */
  apply?: ApplyMessage
  /** Runs after each applied message (e.g. to refresh caches). Its failures are logged, not retried. */
  afterApply?: (message: MessageItem, result: Partial<ApplyResult>) => Promise<void> | void
  log?: (entry: StreamLogEntry) => void
  /** How many conversations are updated at once; records of one conversation always go one at a time. */
  concurrency?: number
}

export interface StreamBatchOutcome extends StreamBatchResponse {
  /** Messages applied (including ones that changed nothing because the rows were already newer). */
  applied: number
  /** Rows moved to a new last message. */
  rowsUpdated: number
  /** Records that are not new messages. */
  ignored: number
  /** Records not attempted because an earlier record of their conversation failed; Lambda retries them. */
  skipped: number
}

export const jsonLog = (entry: StreamLogEntry) => console.log(JSON.stringify(entry))

const errorFields = (error: unknown) => ({
  errorName: (error as Error)?.name ?? 'Error',
  errorMessage: (error as Error)?.message ?? String(error),
})

/**
 * The stream handler, shared by the Lambda and `cruddur ddb stream process`: applies Pattern D for every new
 * message of the batch and reports the records that failed.
 *
 * Lambda checkpoints a partial failure at the lowest reported sequence number and redelivers every record
 * from there on, so a failure needs no special ordering here: the records after it come back anyway, and
 * Pattern D is idempotent and order-safe, so applying them again (or twice) is harmless. Conversations are
 * independent and updated in parallel; within one conversation the records go in stream order, and after a
 * failure the rest of that conversation waits for the redelivery instead of racing ahead.
 */
export function createStreamHandler(
  dependencies: StreamHandlerDependencies,
): (event: StreamEvent) => Promise<StreamBatchOutcome> {
  const {afterApply, table} = dependencies
  const apply = dependencies.apply ?? applyMessageToConversation
  const log = dependencies.log ?? jsonLog
  const concurrency = Math.max(1, dependencies.concurrency ?? 16)

  return async (event) => {
    const started = Date.now()
    const records = event.Records ?? []
    const outcome: StreamBatchOutcome = {applied: 0, batchItemFailures: [], ignored: 0, rowsUpdated: 0, skipped: 0}
    const failed: string[] = []

    const byConversation = new Map<string, StreamRecord[]>()
    for (const record of records) {
      if (!isMessageInsert(record)) {
        outcome.ignored++
        continue
      }

      const pk = keysOf(record).pk!
      const queue = byConversation.get(pk) ?? []
      queue.push(record)
      byConversation.set(pk, queue)
    }

    const processConversation = async (queue: StreamRecord[]) => {
      for (const [index, record] of queue.entries()) {
        const sequenceNumber = sequenceNumberOf(record)
        try {
          const message = messageOf(record)
          const result = await apply(table, message)
          outcome.applied++
          outcome.rowsUpdated += result.updated
          if (afterApply) {
            try {
              await afterApply(message, result)
            } catch (error) {
              log({event: 'afterApplyFailed', level: 'warn', sequenceNumber, ...keysOf(record), ...errorFields(error)})
            }
          }
        } catch (error) {
          const {pk, sk} = keysOf(record)
          log({
            event: 'recordFailed',
            level: 'error',
            messageGroupUuid: pk ? messageGroupUuidOf({pk}) : undefined,
            pk,
            sequenceNumber,
            sk,
            ...errorFields(error),
          })
          // A record without a sequence number cannot be named: an empty identifier fails the whole batch.
          failed.push(sequenceNumber ?? '')
          outcome.skipped += queue.length - index - 1
          return
        }
      }
    }

    const queues = [...byConversation.values()]
    const workers = Array.from({length: Math.min(concurrency, queues.length)}, async () => {
      for (let queue = queues.shift(); queue; queue = queues.shift()) await processConversation(queue)
    })
    await Promise.all(workers)

    failed.sort((a, b) => (a === '' ? -1 : b === '' ? 1 : compareSequenceNumbers(a, b)))
    outcome.batchItemFailures = failed.map((itemIdentifier) => ({itemIdentifier}))
    log({
      applied: outcome.applied,
      durationMs: Date.now() - started,
      event: 'batch',
      failed: failed.length,
      ignored: outcome.ignored,
      level: failed.length > 0 ? 'warn' : 'info',
      records: records.length,
      rowsUpdated: outcome.rowsUpdated,
      skipped: outcome.skipped,
    })
    return outcome
  }
}

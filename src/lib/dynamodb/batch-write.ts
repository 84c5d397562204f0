import {BatchWriteCommand} from '@aws-sdk/lib-dynamodb'

import {CruddurError} from '../errors.js'
import {timeouts} from '../timeouts.js'
import {backoffMs, sleep} from '../sleep.js'
import type {MessagesTable} from './messages-table.js'

/** BatchWriteItem takes at most 25 items a request. */
export const BATCH_SIZE = 25

export interface BatchWriteOptions {
  /** Requests in flight at once. */
  concurrency?: number
  /** Called with the number of items just confirmed written. */
  onWritten?: (count: number) => void
  /**
   * How long to keep retrying throttling, 500s, dropped connections and unprocessed items (default:
   * CRUDDUR_RETRY_TIMEOUT).
   */
  retryMs?: number
  /** Items written before this call, for the message when it gives up (seeding counts a whole run). */
  writtenBefore?: number
  /** Items of the whole job, for the same message. */
  total?: number
  /** Delete the items (by their pk and sk) instead of putting them. */
  delete?: boolean
}

/** Throttled writers back off longer than racing ones: DynamoDB needs time to admit them. */
const THROTTLED_BACKOFF = {baseMs: 50, capMs: 5000}

const THROTTLES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
])
const DROPPED = new Set(['ECONNRESET', 'EPIPE'])

/**
 * Worth another try: DynamoDB refusing work for now (throttling, a 500) or a connection dropped mid-request.
 * Not a refused connection or a timeout: nothing is listening, or it is frozen, and waiting changes nothing.
 */
export function isTransient(error: unknown): boolean {
  const err = error as {name?: string; code?: string; $metadata?: {httpStatusCode?: number}; message?: string}
  if (!err || typeof err !== 'object') return false
  if (err.name && THROTTLES.has(err.name)) return true
  if ((err.$metadata?.httpStatusCode ?? 0) >= 500) return true
  return Boolean(err.code && DROPPED.has(err.code)) || /socket hang up/.test(err.message ?? '')
}

/** Thrown when DynamoDB kept refusing requests for the whole retry time; says how much got written. */
export function gaveUp(error: unknown, written: number, total: number | undefined, retryMs: number): CruddurError {
  const reason = (error as {name?: string})?.name ?? 'UnprocessedItems'
  const of = total === undefined ? '' : ` of ${total}`
  return new CruddurError(
    'THROTTLED',
    `DynamoDB kept refusing requests for ${Math.round(retryMs / 1000)}s (${reason}): ` +
      `${written}${of} items written. Run the command again later (a seed resumes where it ` +
      `stopped), raise CRUDDUR_RETRY_TIMEOUT, or raise the table's write capacity.`,
    {cause: error},
  )
}

/**
 * Runs `call`, retrying transient failures with backoff until `deadline()` (epoch ms). The last failure is
 * passed to `onGiveUp` for the error to throw; any other failure is thrown as it is.
 */
export async function retryTransient<T>(
  call: () => Promise<T>,
  deadline: () => number,
  onGiveUp: (error: unknown) => Error,
): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await call()
    } catch (error) {
      if (!isTransient(error)) throw error
      const wait = backoffMs(round, THROTTLED_BACKOFF)
      if (Date.now() + wait >= deadline()) throw onGiveUp(error)
      await sleep(wait)
    }
  }
}

/**
 * Writes every item, 25 a request with several requests in flight. Throttling, 500s, dropped connections and
 * UnprocessedItems are retried with backoff for up to `retryMs`; then it fails with THROTTLED and the count
 * written — nothing is dropped silently. Puts are idempotent, so a request retried after its answer was lost
 * writes the same items again, never a duplicate.
 */
export async function batchWriteAll(
  table: MessagesTable,
  items: Iterable<Record<string, unknown>>,
  options: BatchWriteOptions = {},
): Promise<number> {
  const concurrency = options.concurrency ?? 8
  const retryMs = options.retryMs ?? timeouts().retryMs
  const iterator = chunks(items, BATCH_SIZE)
  let written = 0
  let deadline = Date.now() + retryMs
  const giveUp = (error: unknown) => gaveUp(error, (options.writtenBefore ?? 0) + written, options.total, retryMs)

  async function writeChunk(chunk: Array<Record<string, unknown>>): Promise<void> {
    let pending = chunk.map((item) =>
      options.delete ? {DeleteRequest: {Key: {pk: item.pk, sk: item.sk}}} : {PutRequest: {Item: item}},
    )
    for (let stalled = 0; pending.length > 0;) {
      const requested = pending
      const output = await retryTransient(
        () => table.doc.send(new BatchWriteCommand({RequestItems: {[table.name]: requested}})),
        () => deadline,
        giveUp,
      )
      const unprocessed = (output.UnprocessedItems?.[table.name] ?? []) as typeof pending
      const done = pending.length - unprocessed.length
      if (done > 0) {
        written += done
        options.onWritten?.(done)
        // The time limit is for a DynamoDB that makes no progress, not for a long job.
        deadline = Date.now() + retryMs
        stalled = 0
      } else {
        stalled++
      }

      pending = unprocessed
      if (pending.length === 0) break
      const wait = backoffMs(stalled, THROTTLED_BACKOFF)
      if (Date.now() + wait >= deadline) throw giveUp(undefined)
      await sleep(wait)
    }
  }

  async function worker(): Promise<void> {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await writeChunk(next.value)
  }

  await Promise.all(Array.from({length: concurrency}, () => worker()))
  return written
}

function* chunks<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = []
  for (const item of items) {
    chunk.push(item)
    if (chunk.length === size) {
      yield chunk
      chunk = []
    }
  }

  if (chunk.length > 0) yield chunk
}

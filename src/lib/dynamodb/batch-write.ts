import {BatchWriteCommand, type DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

/** BatchWriteItem takes at most 25 items a request. */
export const BATCH_SIZE = 25

export interface BatchWriteOptions {
  /** Requests in flight at once. */
  concurrency?: number
  /** Called with the number of items just confirmed written. */
  onWritten?: (count: number) => void
  /** Rounds in a row with no progress before giving up on unprocessed items. */
  maxStalledRounds?: number
  /** Delete the items (by their pk and sk) instead of putting them. */
  delete?: boolean
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Full-jitter exponential backoff, capped: spreads retries so throttled writers do not retry in step. */
const backoff = (round: number) => Math.random() * Math.min(5000, 50 * 2 ** round)

/**
 * Writes every item, 25 a request with several requests in flight. UnprocessedItems are retried with
 * backoff until written; if DynamoDB keeps refusing, it fails loudly — nothing is dropped silently.
 */
export async function batchWriteAll(
  doc: DynamoDBDocumentClient,
  table: string,
  items: Iterable<Record<string, unknown>>,
  options: BatchWriteOptions = {},
): Promise<number> {
  const concurrency = options.concurrency ?? 8
  const maxStalledRounds = options.maxStalledRounds ?? 12
  const iterator = chunks(items, BATCH_SIZE)
  let written = 0

  async function writeChunk(chunk: Array<Record<string, unknown>>): Promise<void> {
    let pending = chunk.map((item) => (options.delete ? {DeleteRequest: {Key: {pk: item.pk, sk: item.sk}}} : {PutRequest: {Item: item}}))
    for (let stalled = 0; pending.length > 0; ) {
      const output = await doc.send(new BatchWriteCommand({RequestItems: {[table]: pending}}))
      const unprocessed = (output.UnprocessedItems?.[table] ?? []) as typeof pending
      const done = pending.length - unprocessed.length
      if (done > 0) {
        written += done
        options.onWritten?.(done)
        stalled = 0
      } else {
        stalled++
      }

      if (stalled >= maxStalledRounds) {
        throw new Error(`DynamoDB left ${unprocessed.length} items unprocessed ${stalled} times in a row: try again later or raise the table's write capacity.`)
      }

      pending = unprocessed
      if (pending.length > 0) await sleep(backoff(stalled))
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

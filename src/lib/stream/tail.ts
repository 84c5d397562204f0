import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {DynamoDBStreamsClient} from '@aws-sdk/client-dynamodb-streams'

import {sleep} from '../sleep.js'
import type {StreamRecord} from './records.js'
import {latestStreamArn, type StartingPosition, StreamReader} from './shards.js'

export interface TailOptions {
  client: DynamoDBClient
  streams: DynamoDBStreamsClient
  table: string
  from: StartingPosition
  /** Print what there is, then return; otherwise poll until `signal` aborts. */
  once?: boolean
  signal?: AbortSignal
  pollIntervalMs?: number
  onRecord: (record: StreamRecord, shardId: string) => Promise<void> | void
}

/** Reads the table's stream without a checkpoint and without acting on it: for watching what gets written. */
export async function tailStream(options: TailOptions): Promise<{streamArn: string; records: number}> {
  const streamArn = await latestStreamArn(options.client, options.table)
  const reader = new StreamReader(options.streams, streamArn, {batchSize: 1000, start: options.from})
  let records = 0
  while (!options.signal?.aborted) {
    const read = await reader.poll(async (shardId, page) => {
      for (const record of page) await options.onRecord(record, shardId)
    }, options.signal)
    records += read
    // One empty page of an open shard proves nothing: --once ends only once every shard is drained.
    if (read > 0 || !reader.caughtUp) continue
    if (options.once) break
    await sleep(options.pollIntervalMs ?? 250, options.signal)
  }

  return {records, streamArn}
}

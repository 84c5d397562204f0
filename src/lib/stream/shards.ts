import {type DynamoDBClient, DescribeTableCommand} from '@aws-sdk/client-dynamodb'
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as SdkRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams'

import {CruddurError} from '../errors.js'
import type {StreamRecord} from './records.js'

/** The table's current stream, or an error that says how to get one. */
export async function latestStreamArn(client: DynamoDBClient, table: string): Promise<string> {
  const {Table: description} = await client.send(new DescribeTableCommand({TableName: table}))
  const arn = description?.LatestStreamArn
  if (!arn || description?.StreamSpecification?.StreamEnabled === false) {
    throw new CruddurError('CONFLICT', `Table ${table} has no stream (the tables cruddur makes have one, NEW_IMAGE)`, {
      hint: {step: 'enable-stream'},
    })
  }

  return arn
}

/** Every shard of the stream, following DescribeStream's pages. */
export async function listShards(streams: DynamoDBStreamsClient, streamArn: string): Promise<Shard[]> {
  const shards: Shard[] = []
  let exclusiveStartShardId: string | undefined
  do {
    const {StreamDescription: description} = await streams.send(
      new DescribeStreamCommand({ExclusiveStartShardId: exclusiveStartShardId, StreamArn: streamArn}),
    )
    shards.push(...(description?.Shards ?? []))
    exclusiveStartShardId = description?.LastEvaluatedShardId
  } while (exclusiveStartShardId)
  return shards
}

/**
 * The shards that may be read now: a child only after its parent is read to the end, so a key's records
 * stay in order across a split. A parent no longer listed has been trimmed and holds nothing to wait for.
 */
export function readyShards(shards: Shard[], finished: (shardId: string) => boolean): Shard[] {
  const listed = new Set(shards.map((shard) => shard.ShardId))
  return shards.filter(
    (shard) =>
      !finished(shard.ShardId!) &&
      (!shard.ParentShardId || !listed.has(shard.ParentShardId) || finished(shard.ParentShardId)),
  )
}

/** A GetRecords record in the shape Lambda delivers (creation time in epoch seconds). */
export function lambdaRecord(record: SdkRecord, streamArn: string): StreamRecord {
  const time = record.dynamodb?.ApproximateCreationDateTime
  return {
    awsRegion: record.awsRegion,
    dynamodb: {
      ...(record.dynamodb as StreamRecord['dynamodb']),
      ApproximateCreationDateTime: time ? Math.floor(new Date(time).getTime() / 1000) : undefined,
    },
    eventID: record.eventID,
    eventName: record.eventName,
    eventSource: record.eventSource ?? 'aws:dynamodb',
    eventSourceARN: streamArn,
  }
}

export type StartingPosition = 'trim-horizon' | 'latest'

/**
 * Consecutive empty pages after which an open shard counts as read to its end. GetRecords may answer an
 * empty page (with a next iterator) while records lie further on, so one empty page proves nothing.
 */
export const EMPTY_PAGES_CAUGHT_UP = 3

/** A stored position the stream contradicts: a live shard marked finished, or a sequence number it rejects. */
export class ShardPositionError extends Error {
  constructor(
    readonly shardId: string,
    readonly problem: string,
  ) {
    super(`shard ${shardId}: ${problem}`)
  }
}

export interface ShardPosition {
  /** The last record handled; reading resumes after it. */
  after?: string
  /** Read to its end (closed shards only). */
  finished?: boolean
}

/**
 * Reads a stream shard by shard the way an event source mapping does: parents before children, each shard
 * from its position (after the last handled record, else its start or — for shards open at startup with
 * `latest` — its end), until caught up or, for a closed shard, to its end.
 */
export class StreamReader {
  readonly positions: Map<string, ShardPosition>
  private readonly iterators = new Map<string, string>()
  private readonly seen = new Set<string>()
  /** Empty pages in a row per open shard: caught up only after EMPTY_PAGES_CAUGHT_UP of them. */
  private readonly emptyPages = new Map<string, number>()
  private firstListing = true
  private replacedSigns = false
  /** Shards whose trimmed records were reported: once each. */
  private readonly trimmedShards = new Set<string>()

  constructor(
    private readonly streams: DynamoDBStreamsClient,
    readonly streamArn: string,
    private readonly options: {
      start: StartingPosition
      batchSize: number
      positions?: Record<string, ShardPosition>
      /**
       * Told once per shard when records after its position (`after`, or its start) were trimmed from the stream
       * before they were read: reading goes on from the oldest record left, past a gap.
       */
      onTrimmed?: (shardId: string, after: string | undefined) => void
    },
  ) {
    this.positions = new Map(Object.entries(options.positions ?? {}))
  }

  /** Shard ids currently listed (after the last poll). */
  get shardIds(): string[] {
    return [...this.seen]
  }

  /** Every listed shard is finished, or open and answered EMPTY_PAGES_CAUGHT_UP empty pages in a row. */
  get caughtUp(): boolean {
    return this.shardIds.every(
      (shardId) => this.finished(shardId) || (this.emptyPages.get(shardId) ?? 0) >= EMPTY_PAGES_CAUGHT_UP,
    )
  }

  /**
   * One pass over every readable shard. `deliver` gets each page of records and resolves once they are
   * handled (or throws to stop). Returns how many records were read; an open shard's turn ends at its first
   * empty page, so only `caughtUp` after a pass that read nothing says the stream is drained.
   */
  async poll(
    deliver: (shardId: string, records: StreamRecord[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<number> {
    let read = 0
    let relist = true
    while (relist && !signal?.aborted) {
      relist = false
      const shards = await this.list()
      const done = new Set<string>()
      // Finishing a parent can make its children ready in the same pass.
      for (
        let ready = readyShards(shards, this.finished);
        ready.length > 0;
        ready = readyShards(shards, this.finished).filter((shard) => !done.has(shard.ShardId!))
      ) {
        for (const shard of ready) {
          if (signal?.aborted) return read
          done.add(shard.ShardId!)
          read += await this.readShard(shard, deliver, signal)
          // Its children may have been created after the listing: list again before the pass ends.
          if (this.finished(shard.ShardId!)) relist = true
        }
      }
    }

    return read
  }

  /**
   * Whether a read met an expired iterator or trimmed data since the last call, as reads of a replaced stream
   * may: the caller should ask at once whether its table was re-created. Asking clears it.
   */
  takeReplacedSigns(): boolean {
    const seen = this.replacedSigns
    this.replacedSigns = false
    return seen
  }

  private readonly finished = (shardId: string) => this.positions.get(shardId)?.finished === true

  private async list(): Promise<Shard[]> {
    const shards = await listShards(this.streams, this.streamArn)
    this.seen.clear()
    for (const shard of shards) this.seen.add(shard.ShardId!)
    if (this.firstListing && this.options.start === 'latest') {
      // Tailing from now: what is already in the stream is skipped; shards opened later are read whole.
      for (const shard of shards) {
        if (this.positions.has(shard.ShardId!)) continue
        this.positions.set(shard.ShardId!, shard.SequenceNumberRange?.EndingSequenceNumber ? {finished: true} : {})
        if (!shard.SequenceNumberRange?.EndingSequenceNumber)
          this.iterators.set(shard.ShardId!, await this.iterator(shard.ShardId!, 'LATEST'))
      }
    }

    this.firstListing = false
    for (const shard of shards) {
      if (!shard.SequenceNumberRange?.EndingSequenceNumber && this.finished(shard.ShardId!))
        throw new ShardPositionError(shard.ShardId!, 'marked finished, but the shard is open')
    }

    return shards
  }

  private async readShard(
    shard: Shard,
    deliver: (shardId: string, records: StreamRecord[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<number> {
    const shardId = shard.ShardId!
    const closed = Boolean(shard.SequenceNumberRange?.EndingSequenceNumber)
    let read = 0
    let iterator = this.iterators.get(shardId) ?? (await this.iteratorFromPosition(shardId))
    while (iterator && !signal?.aborted) {
      let output
      try {
        output = await this.streams.send(
          new GetRecordsCommand({Limit: this.options.batchSize, ShardIterator: iterator}),
        )
      } catch (error) {
        const {name} = error as Error
        if (name !== 'ExpiredIteratorException' && name !== 'TrimmedDataAccessException') throw error
        this.replacedSigns = true
        // Iterators live 15 minutes: an idle one is renewed from the position. Trimmed data lies behind the horizon.
        iterator =
          name === 'ExpiredIteratorException'
            ? await this.iteratorFromPosition(shardId)
            : await this.trimHorizonAfterGap(shardId)
        continue
      }

      const records = (output.Records ?? []).map((record) => lambdaRecord(record, this.streamArn))
      this.emptyPages.set(shardId, records.length > 0 ? 0 : (this.emptyPages.get(shardId) ?? 0) + 1)
      if (records.length > 0) {
        await deliver(shardId, records)
        read += records.length
        this.positions.set(shardId, {after: records.at(-1)!.dynamodb!.SequenceNumber})
      }

      iterator = output.NextShardIterator
      if (!iterator) {
        // A closed shard read to its end: its children may start.
        this.positions.set(shardId, {...this.positions.get(shardId), finished: true})
        this.iterators.delete(shardId)
        return read
      }

      this.iterators.set(shardId, iterator)
      // An open shard's turn ends at an empty page (the next pass goes on from there); a closed one is read to its end.
      if (records.length === 0 && !closed) return read
    }

    return read
  }

  private async iteratorFromPosition(shardId: string): Promise<string | undefined> {
    const after = this.positions.get(shardId)?.after
    if (!after) return this.iterator(shardId, 'TRIM_HORIZON')
    try {
      return await this.iterator(shardId, 'AFTER_SEQUENCE_NUMBER', after)
    } catch (error) {
      // The checkpoint fell out of the 24-hour window: everything after it that is left starts at the horizon.
      if ((error as Error).name === 'TrimmedDataAccessException') {
        this.replacedSigns = true
        return this.trimHorizonAfterGap(shardId)
      }

      if ((error as Error).name === 'ValidationException')
        throw new ShardPositionError(shardId, `the shard has no sequence number ${after}`)
      throw error
    }
  }

  /** The shard's oldest record left, once records after its position were trimmed unread: reported once per shard. */
  private async trimHorizonAfterGap(shardId: string): Promise<string> {
    if (!this.trimmedShards.has(shardId)) {
      this.trimmedShards.add(shardId)
      this.options.onTrimmed?.(shardId, this.positions.get(shardId)?.after)
    }

    return this.iterator(shardId, 'TRIM_HORIZON')
  }

  private async iterator(
    shardId: string,
    type: 'TRIM_HORIZON' | 'LATEST' | 'AFTER_SEQUENCE_NUMBER',
    sequenceNumber?: string,
  ): Promise<string> {
    const output = await this.streams.send(
      new GetShardIteratorCommand({
        SequenceNumber: sequenceNumber,
        ShardId: shardId,
        ShardIteratorType: type,
        StreamArn: this.streamArn,
      }),
    )
    return output.ShardIterator!
  }
}

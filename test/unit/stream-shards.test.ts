import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams'
import {expect} from 'chai'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {processStream} from '../../src/lib/stream/processor.js'
import type {StreamRecord} from '../../src/lib/stream/records.js'
import {readyShards, StreamReader} from '../../src/lib/stream/shards.js'

const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/fake/stream/2026-01-01T00:00:00.000'

interface FakeShard {
  id: string
  parent?: string
  /** What GetRecords returns, page by page, as sequence numbers. */
  pages: string[][]
  /** A closed shard ends after its last page (no next iterator); an open one then returns empty pages. */
  closed?: boolean
  /** Listed only once its parent's end has been read: a split while the reader is at work. */
  appearsWhenParentEnds?: boolean
}

/** DynamoDB Streams as far as the reader uses it. Iterators are `<shard>#<page>`. */
class FakeStreams {
  private readonly ended = new Set<string>()

  constructor(private readonly shards: FakeShard[]) {}

  async send(command: DescribeStreamCommand | GetRecordsCommand | GetShardIteratorCommand): Promise<unknown> {
    if (command instanceof DescribeStreamCommand) {
      const listed = this.shards.filter((shard) => !shard.appearsWhenParentEnds || this.ended.has(shard.parent!))
      return {StreamDescription: {Shards: listed.map((shard) => this.describe(shard)), StreamArn: STREAM_ARN}}
    }

    if (command instanceof GetShardIteratorCommand) {
      const shard = this.shard(command.input.ShardId!)
      if (command.input.ShardIteratorType === 'TRIM_HORIZON') return {ShardIterator: `${shard.id}#0`}
      if (command.input.ShardIteratorType === 'LATEST') return {ShardIterator: `${shard.id}#${shard.pages.length}`}
      throw new Error(`the fake has no ${command.input.ShardIteratorType} iterators`)
    }

    const [id, page] = command.input.ShardIterator!.split('#')
    const shard = this.shard(id)
    const index = Number(page)
    const sequenceNumbers = shard.pages[index] ?? []
    const atEnd = index >= shard.pages.length - 1
    if (shard.closed && atEnd) this.ended.add(shard.id)
    return {
      NextShardIterator: shard.closed && atEnd ? undefined : `${shard.id}#${Math.min(index + 1, shard.pages.length)}`,
      Records: sequenceNumbers.map((sequenceNumber) => ({
        dynamodb: {Keys: {pk: {S: `MSG#${sequenceNumber}`}, sk: {S: sequenceNumber}}, SequenceNumber: sequenceNumber},
        eventID: sequenceNumber,
        eventName: 'INSERT',
      })),
    }
  }

  private describe(shard: FakeShard): Shard {
    const sequenceNumbers = shard.pages.flat()
    return {
      ParentShardId: shard.parent,
      SequenceNumberRange: {
        EndingSequenceNumber: shard.closed ? (sequenceNumbers.at(-1) ?? '0') : undefined,
        StartingSequenceNumber: sequenceNumbers[0] ?? '0',
      },
      ShardId: shard.id,
    }
  }

  private shard(id: string): FakeShard {
    const shard = this.shards.find((candidate) => candidate.id === id)
    if (!shard) throw new Error(`no shard ${id}`)
    return shard
  }
}

const streamsOf = (shards: FakeShard[]) => new FakeStreams(shards) as unknown as DynamoDBStreamsClient

/** A `deliver` that notes `<shard>:<sequence number>` of each record, in order. */
function collector() {
  const delivered: string[] = []
  const deliver = async (shardId: string, records: StreamRecord[]) => {
    for (const record of records) delivered.push(`${shardId}:${record.dynamodb!.SequenceNumber}`)
  }

  return {deliver, delivered}
}

describe('ddb stream shards', () => {
  describe('readyShards', () => {
    const shard = (id: string, parent?: string): Shard => ({ParentShardId: parent, ShardId: id})
    const shards = [shard('a'), shard('b', 'a'), shard('c', 'b'), shard('d', 'trimmed'), shard('e')]
    const ready = (...finished: string[]) => readyShards(shards, (id) => finished.includes(id)).map((s) => s.ShardId)

    it('holds a child back until its parent is finished, and a grandchild until its parent is', () => {
      expect(ready()).to.deep.equal(['a', 'd', 'e'])
      expect(ready('a')).to.deep.equal(['b', 'd', 'e'])
      expect(ready('a', 'b')).to.deep.equal(['c', 'd', 'e'])
    })

    it('reads a shard whose parent is no longer listed (trimmed), and leaves out finished shards', () => {
      expect(ready('a', 'b', 'c', 'd')).to.deep.equal(['e'])
    })
  })

  describe('the reader', () => {
    const reader = (shards: FakeShard[]) =>
      new StreamReader(streamsOf(shards), STREAM_ARN, {batchSize: 100, start: 'trim-horizon'})

    it('reads a closed shard past its empty pages to its end, then its children, in one pass', async () => {
      const shards: FakeShard[] = [
        {closed: true, id: 'parent', pages: [[], ['1'], [], ['2'], []]},
        {closed: true, id: 'child', pages: [[], ['3']], parent: 'parent'},
        {id: 'grandchild', pages: [['4']], parent: 'child'},
      ]
      const streamReader = reader(shards)
      const {deliver, delivered} = collector()
      const read = await streamReader.poll(deliver)
      expect(read).to.equal(4)
      expect(delivered).to.deep.equal(['parent:1', 'parent:2', 'child:3', 'grandchild:4'])
      expect(streamReader.positions.get('parent')).to.deep.equal({after: '2', finished: true})
      expect(streamReader.positions.get('child')).to.deep.equal({after: '3', finished: true})
      expect(streamReader.positions.get('grandchild')).to.deep.equal({after: '4'})
    })

    it("an open shard's turn in a pass ends at its first empty page", async () => {
      const streamReader = reader([{id: 'open', pages: [['1'], [], ['2']]}])
      const {deliver, delivered} = collector()
      expect(await streamReader.poll(deliver)).to.equal(1)
      expect(delivered).to.deep.equal(['open:1'])
      expect(streamReader.positions.get('open')).to.deep.equal({after: '1'})
    })

    it('children listed only after their parent ended during the pass are read in the same poll', async () => {
      const shards: FakeShard[] = [
        {closed: true, id: 'parent', pages: [[]]},
        {appearsWhenParentEnds: true, id: 'left', pages: [['1']], parent: 'parent'},
        {appearsWhenParentEnds: true, id: 'right', pages: [['2']], parent: 'parent'},
      ]
      const {deliver, delivered} = collector()
      expect(await reader(shards).poll(deliver)).to.equal(2)
      expect(delivered).to.deep.equal(['left:1', 'right:2'])
    })
  })

  describe('process --once', () => {
    let stateDir: string

    beforeEach(() => {
      stateDir = mkdtempSync(join(tmpdir(), 'cruddur-shards-'))
    })

    afterEach(() => {
      rmSync(stateDir, {force: true, recursive: true})
    })

    it(
      "does not stop at a closed parent's empty page: reads it to its end, then its child, and checkpoints the " +
        'parent finished',
      async () => {
        const streams = streamsOf([
          {closed: true, id: 'parent', pages: [[], [], ['1']]},
          {id: 'child', pages: [['2', '3']], parent: 'parent'},
        ])
        const client = {
          send: async () => ({Table: {LatestStreamArn: STREAM_ARN, StreamSpecification: {StreamEnabled: true}}}),
        } as unknown as DynamoDBClient
        const handled: string[] = []
        const handler = async ({Records}: {Records: StreamRecord[]}) => {
          handled.push(...Records.map((record) => record.dynamodb!.SequenceNumber!))
          return {batchItemFailures: []}
        }

        const result = await processStream({
          client,
          endpoint: 'http://fake',
          handler,
          once: true,
          stateDir,
          streams,
          table: 'fake',
        })
        expect(result.records).to.equal(3)
        expect(handled).to.deep.equal(['1', '2', '3'])
        const checkpoint = JSON.parse(readFileSync(result.checkpointFile, 'utf8')) as {shards: Record<string, unknown>}
        expect(checkpoint.shards).to.deep.equal({child: {after: '3'}, parent: {after: '1', finished: true}})
      },
    )
  })
})

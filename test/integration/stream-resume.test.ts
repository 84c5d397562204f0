/** A processor killed, or its table re-created under it: the rows still end at their newest message. */
import {DeleteTableCommand, DynamoDBClient, waitUntilTableNotExists} from '@aws-sdk/client-dynamodb'
import {DynamoDBDocumentClient, PutCommand} from '@aws-sdk/lib-dynamodb'
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {chmodSync, existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import type {StreamProcessResult} from '../../src/commands/ddb/stream/process.js'
import {queryGroupRows} from '../../src/lib/dynamodb/patterns/conversation-rows.js'
import {cli, cliJson, errorLines} from '../support/cli.js'
import {startEmptyPageProxy} from '../support/empty-page-proxy.js'
import {startFaultProxy} from '../support/fault-proxy.js'
import {MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {messageAt, person, useProcessorRuns, useStreamTable} from '../support/stream.js'

describe('ddb stream', () => {
  const stream = useStreamTable()
  let client: DynamoDBClient
  let doc: DynamoDBDocumentClient
  before(() => ({client, doc} = stream))

  describe('the processor through the binary: kills, re-created tables, endpoints, corrupt state', () => {
    const {
      endpoint,
      freshTable,
      streamArnOf,
      storeOf,
      stateDir,
      flags,
      pendingMessages,
      expectAllNewest,
      start,
      until,
      bounded,
    } = useProcessorRuns(stream)

    it(
      'killed mid catch-up, then --once: every conversation row at its newest message, ' +
        'though the stream answers an empty page first',
      async function () {
        this.timeout(300_000) // hundreds of Pattern D updates on a shared machine
        const name = await freshTable()
        const newest = await pendingMessages(name, 20, 15)
        const store = await storeOf(name)
        const processor = start(['ddb', 'stream', 'process', '--batch-size', '5', ...flags(name)])
        await until('a first checkpoint', () => existsSync(store.file))
        processor.child.kill('SIGKILL')
        await processor.exited

        // Another port for the same data: the checkpoint (keyed by the stream) is found, and the first page is empty.
        const proxy = await startEmptyPageProxy(endpoint())
        try {
          const drained = await cliJson<StreamProcessResult>([
            'ddb',
            'stream',
            'process',
            '--once',
            ...flags(name, proxy.endpoint),
          ])
          expect(drained.code, drained.stderr).to.equal(0)
          expect(drained.json.failed).to.deep.equal([])
          expect(proxy.emptyPages()).to.be.greaterThan(0)
        } finally {
          await proxy.close()
        }

        await expectAllNewest(name, newest)
      },
    )

    it('a record given up, then the processor ends with an error: the record is kept all the same', async () => {
      const name = await freshTable()
      // A message into a conversation that has no rows: Pattern D cannot apply it.
      const lost = messageAt(randomUUID(), person('nobody'), 1)
      await doc.send(new PutCommand({Item: lost, TableName: name}))
      // A state directory of the user's (a project directory, say) keeps its mode: only the file is made private.
      chmodSync(stateDir(), 0o755)
      // The first read (the record, given up at once) passes; every later one fails.
      const proxy = await startFaultProxy({
        operations: ['GetRecords'],
        rates: {error500: 1},
        script: ['pass'],
        target: endpoint(),
      })
      try {
        const result = await bounded(
          'process --once',
          cli(['ddb', 'stream', 'process', '--once', '--max-retries', '0', ...flags(name, proxy.endpoint)]),
        )
        expect(result.code, result.stderr).to.not.equal(0)
        expect(result.stderr).to.include(`gave up on ${lost.pk}`).and.include('Internal server error')
      } finally {
        await proxy.close()
      }

      const file = join(stateDir(), 'stream-given-up.ndjson')
      const kept = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as {pk: string; table: string})
      expect(kept).to.have.length(1)
      expect(kept[0]).to.include({pk: lost.pk, table: name})
      expect(statSync(file).mode & 0o777).to.equal(0o600)
      expect(statSync(stateDir()).mode & 0o777).to.equal(0o755)
      // Given up means moved past: the next run does not try it again.
      const again = await cliJson<StreamProcessResult>(['ddb', 'stream', 'process', '--once', ...flags(name)])
      expect(again.code, again.stderr).to.equal(0)
      expect(again.json).to.include({records: 0})
    })

    // GetShardIterator at the checkpoint; GetRecords twice (the second read from the oldest record), yet one warning.
    for (const [operation, faults] of [
      ['GetShardIterator', 1],
      ['GetRecords', 2],
    ] as const) {
      it(
        `records trimmed from the stream unread (${operation} says so): one warning naming the shard, ` +
          'its checkpoint and the repair, then it reads on from the oldest record left',
        async () => {
          const name = await freshTable()
          await pendingMessages(name, 1, 1)
          const first = await cli(['ddb', 'stream', 'process', '--once', ...flags(name)])
          expect(first.code, first.stderr).to.equal(0)
          const [[shardId, {after}]] = Object.entries((await storeOf(name)).shards)
          const newest = await pendingMessages(name, 2, 2)
          const proxy = await startFaultProxy({
            operations: [operation],
            script: Array.from({length: faults}, () => 'trimmedData' as const),
            target: endpoint(),
          })
          try {
            const result = await bounded(
              'process --once',
              cli(['ddb', 'stream', 'process', '--once', ...flags(name, proxy.endpoint)]),
            )
            expect(result.code, result.stderr).to.equal(0)
            expect(proxy.stats.faults.trimmedData).to.equal(faults)
            expect(result.stderr.split('\n').filter((line) => line.startsWith('warning:'))).to.deep.equal([
              `warning: shard ${shardId}: the records after sequence ${after} (its checkpoint) left the stream ` +
                '(kept 24 hours) before they were processed; reading goes on from the oldest record left: ' +
                'repair the conversation rows left stale with `cruddur ddb doctor --fix`.',
            ])
          } finally {
            await proxy.close()
          }

          await expectAllNewest(name, newest)
        },
      )
    }

    it(
      'a table re-created while its checkpoints exist: the new stream is processed, ' +
        'the old checkpoints are removed',
      async () => {
        const name = await freshTable()
        await pendingMessages(name, 1, 2)
        expect((await cli(['ddb', 'stream', 'process', '--once', ...flags(name)])).code).to.equal(0)
        const old = await storeOf(name)
        expect(existsSync(old.file)).to.equal(true)

        await client.send(new DeleteTableCommand({TableName: name}))
        await waitUntilTableNotExists({client, maxWaitTime: 60}, {TableName: name})
        await freshTable(name)
        const newest = await pendingMessages(name, 2, 3)
        const processed = await cliJson<StreamProcessResult>(['ddb', 'stream', 'process', '--once', ...flags(name)])
        expect(processed.code, processed.stderr).to.equal(0)
        expect(processed.json.streamArn).to.equal(await streamArnOf(name))
        await expectAllNewest(name, newest)
        expect(existsSync(old.file), "the old stream's checkpoint").to.equal(false)
        expect(readdirSync(dirname(old.file))).to.deep.equal([basename((await storeOf(name)).file)])
      },
    )

    it(
      'a running processor follows its table re-created, ' + 'and ends with one line when the table is dropped',
      async function () {
        this.timeout(300_000) // two tables created and dropped on a shared machine
        const name = await freshTable()
        await pendingMessages(name, 1, 1)
        const processor = start(['ddb', 'stream', 'process', '--poll-interval', '20', ...flags(name)])
        try {
          const old = await storeOf(name)
          await until('the first checkpoint', () => existsSync(old.file))
          await client.send(new DeleteTableCommand({TableName: name}))
          await waitUntilTableNotExists({client, maxWaitTime: 60}, {TableName: name})
          await freshTable(name)
          const newest = await pendingMessages(name, 1, 2)
          const current = await storeOf(name)
          await until("the new stream's checkpoint", () => existsSync(current.file))
          await until('the rows at the newest message', async () => {
            const rows = await queryGroupRows(new MessagesTable({doc, name}), [...newest.keys()][0])
            return rows.every((row) => row.last_message_sk === [...newest.values()][0].sk)
          })
          expect(existsSync(old.file)).to.equal(false)

          await client.send(new DeleteTableCommand({TableName: name}))
          expect(await bounded('the processor', processor.exited)).to.equal(4)
          // Its progress lines, then the error: one line, no stack.
          expect(errorLines(processor.stderr()).filter((line) => !line.includes(' · '))).to.deep.equal([
            `Error: Table ${name} was deleted while its stream was being processed (its checkpoints are removed): ` +
              'create it again with `cruddur ddb schema-load`, then process its new stream.',
          ])
          expect(existsSync(current.file)).to.equal(false)
        } finally {
          processor.child.kill('SIGKILL')
        }
      },
    )
  })
})

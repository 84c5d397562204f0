/** Processing the stream: retries and giving up in the library, then process and tail through the binary. */
import {DeleteTableCommand, DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {DynamoDBStreamsClient} from '@aws-sdk/client-dynamodb-streams'
import {DynamoDBDocumentClient, PutCommand} from '@aws-sdk/lib-dynamodb'
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {ListConversationsResult} from '../../src/commands/ddb/patterns/list-conversations.js'
import type {StreamProcessResult} from '../../src/commands/ddb/stream/process.js'
import type {CreateMessageResult} from '../../src/commands/ddb/patterns/create-message.js'
import {LOCAL_CREDENTIALS} from '../../src/lib/aws-config.js'
import {type MessageItem, messageItem, type Participant} from '../../src/lib/dynamodb/items.js'
import {applyMessageToConversation} from '../../src/lib/dynamodb/patterns/update-message-group.js'
import {createStreamHandler} from '../../src/lib/stream/handler.js'
import {type FailedRecord, firstFailure, processStream} from '../../src/lib/stream/processor.js'
import type {StreamRecord} from '../../src/lib/stream/records.js'
import {testStack} from '../hooks.js'
import {addStackUsers} from '../support/database.js'
import {cli, cliJson} from '../support/cli.js'
import {type MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {messageAt, person, silent, streamRecord, useStreamTable} from '../support/stream.js'
import {createTestTable} from '../support/tables.js'

describe('ddb stream', () => {
  const stream = useStreamTable()
  const {table, conversation, expectRowsShow} = stream
  let client: DynamoDBClient
  let doc: DynamoDBDocumentClient
  let messagesTable: MessagesTable
  before(() => ({client, doc, messagesTable} = stream))

  describe('the processor', () => {
    let stateDir: string
    let streams: DynamoDBStreamsClient

    before(() => {
      stateDir = mkdtempSync(join(tmpdir(), 'cruddur-stream-'))
      streams = new DynamoDBStreamsClient({
        credentials: LOCAL_CREDENTIALS,
        endpoint: testStack().dynamodbEndpoint,
        region: 'us-east-1',
      })
    })

    after(() => {
      streams.destroy()
      rmSync(stateDir, {force: true, recursive: true})
    })

    const run = (
      handler: Parameters<typeof processStream>[0]['handler'],
      extra: Partial<Parameters<typeof processStream>[0]> = {},
    ) =>
      processStream({
        batchSize: 25,
        client,
        endpoint: testStack().dynamodbEndpoint,
        handler,
        once: true,
        retryDelayMs: 1,
        stateDir,
        streams,
        table,
        ...extra,
      })

    it('takes the lowest failed sequence number as the checkpoint, as Lambda does', () => {
      const records = [1, 2, 3, 4].map(() => streamRecord({pk: 'MSG#x', sk: 'y'}))
      const id = (i: number) => ({itemIdentifier: records[i].dynamodb!.SequenceNumber!})
      expect(firstFailure(records, {batchItemFailures: []})).to.equal(4)
      expect(firstFailure(records, {batchItemFailures: [id(3), id(1)]})).to.equal(1)
      expect(firstFailure(records, {batchItemFailures: [{itemIdentifier: 'unknown'}]})).to.equal(0)
      expect(firstFailure(records, {batchItemFailures: [{itemIdentifier: ''}]})).to.equal(0)
    })

    it('retries a failed record, checkpoints past it once done, and a rerun finds nothing to do', async () => {
      // Drain whatever the handler tests left in the stream first.
      await run(createStreamHandler({log: silent, table: messagesTable}))
      const {a, group} = await conversation()
      const flaky = messageAt(group, a, 40)
      await doc.send(new PutCommand({Item: flaky, TableName: table}))
      let failuresLeft = 2
      const apply = async (t: MessagesTable, item: MessageItem) => {
        if (item.message_uuid === flaky.message_uuid && failuresLeft-- > 0) throw new Error('transient')
        return applyMessageToConversation(t, item)
      }

      const first = await run(createStreamHandler({apply, log: silent, table: messagesTable}))
      expect(first.retries).to.equal(2)
      expect(first.failed).to.deep.equal([])
      await expectRowsShow(group, flaky)
      const again = await run(createStreamHandler({log: silent, table: messagesTable}))
      expect(again.records).to.equal(0)
    })

    it('gives up on a record that keeps failing after the retries, reports it, and moves on', async () => {
      const {a, b, group} = await conversation()
      const bad = messageAt(group, a, 50)
      const good = messageAt(group, b, 51)
      for (const item of [bad, good]) await doc.send(new PutCommand({Item: item, TableName: table}))
      const apply = async (t: MessagesTable, item: MessageItem) => {
        if (item.message_uuid === bad.message_uuid) throw new Error('permanent')
        return applyMessageToConversation(t, item)
      }

      const result = await run(createStreamHandler({apply, log: silent, table: messagesTable}), {maxRetries: 2})
      expect(result.failed).to.have.length(1)
      expect(result.failed[0]).to.include({attempts: 3, pk: bad.pk, sk: bad.sk})
      await expectRowsShow(group, good)
      expect((await run(createStreamHandler({log: silent, table: messagesTable}))).records).to.equal(0)
    })

    it('gives up on no record because its table is gone: it ends with TABLE_MISSING', async () => {
      const name = `stream-dropped-${randomUUID().slice(0, 8)}`
      const dropped = await createTestTable(name)
      try {
        await doc.send(new PutCommand({Item: messageAt(randomUUID(), person('ann'), 1), TableName: name}))
        const givenUp: FailedRecord[] = []
        // Every record fails as a handler's records do when their table was dropped under it.
        const dropTable = async () => {
          await client.send(new DeleteTableCommand({TableName: name})).catch(() => {})
          throw new Error('Cannot do operations on a non-existent table')
        }

        const error = await run(dropTable, {
          maxRetries: 0,
          onGiveUp: (record) => givenUp.push(record),
          table: name,
        }).then(
          () => undefined,
          (error_: unknown) => error_,
        )
        expect(error).to.include({code: 'TABLE_MISSING'})
        expect(givenUp).to.deep.equal([])
      } finally {
        await dropped.drop()
      }
    })
  })

  describe('end to end, through the binary', () => {
    const handles = ['cara', 'dave', 'erin'].map((name) => `${name}_${randomUUID().slice(0, 8)}`)
    const [cara, dave, erin] = handles
    const tableFlags = ['--table', table]

    /** `cruddur ddb patterns create-message <text> --from <from> --to <to>` into the table. */
    const sendMessage = (text: string, from: string, to: string) =>
      cliJson<CreateMessageResult>([
        'ddb',
        'patterns',
        'create-message',
        text,
        '--from',
        from,
        '--to',
        to,
        ...tableFlags,
      ])

    const lastMessageWith = async (owner: string, other: string) => {
      const {json} = await cliJson<ListConversationsResult>([
        'ddb',
        'patterns',
        'list-conversations',
        owner,
        ...tableFlags,
      ])
      return json.conversations.find((c) => c.with.handle === other)
    }

    /** dave as PostgreSQL knows him, as create-message writes him into the rows. */
    let daveUser: Participant

    before(async () => {
      ;[, daveUser] = await addStackUsers(handles)

      // Start from a drained stream, so the counts below are this test's own.
      const drained = await cliJson<StreamProcessResult>(['ddb', 'stream', 'process', '--once', ...tableFlags])
      expect(drained.code, drained.stderr).to.equal(0)
    })

    it(
      'create-message into new and existing conversations, then process --once: ' +
        'both users see the new last message',
      async () => {
        const started = await sendMessage('first words', cara, dave)
        expect(started.code, started.stderr).to.equal(0)
        const other = await sendMessage('hi erin', cara, erin)
        expect(other.code, other.stderr).to.equal(0)
        const reply = await sendMessage('a reply', dave, cara)
        expect(reply.code, reply.stderr).to.equal(0)
        // A message whose writer died before updating the rows: only the stream brings them up to date.
        const group = started.json.messageGroupUuid
        const sender = daveUser
        const orphan = messageItem({
          createdAt: new Date().toISOString(),
          messageGroupUuid: group,
          messageUuid: randomUUID(),
          sender,
          text: 'written while nobody applied it',
        })
        await doc.send(new PutCommand({Item: orphan, TableName: table}))
        expect((await lastMessageWith(cara, dave))!.lastMessage).to.equal('a reply')

        const processed = await cliJson<StreamProcessResult>(['ddb', 'stream', 'process', '--once', ...tableFlags])
        expect(processed.code, processed.stderr).to.equal(0)
        expect(processed.json).to.include({applied: 4, rowsUpdated: 2})
        expect(processed.json.failed).to.deep.equal([])
        expect((await lastMessageWith(cara, dave))!.lastMessage).to.equal('written while nobody applied it')
        expect((await lastMessageWith(dave, cara))!.lastMessage).to.equal('written while nobody applied it')
        expect((await lastMessageWith(erin, cara))!.lastMessage).to.equal('hi erin')
      },
    )

    it(
      'a record that keeps failing is given up: ' +
        'named with its repair command, kept in the state directory, exit 1',
      async () => {
        // A message into a conversation that has no rows: Pattern D cannot apply it, however often it tries.
        const group = randomUUID()
        const sender = {displayName: 'Nobody', handle: `nobody_${group.slice(0, 8)}`, uuid: randomUUID()}
        const lost = messageItem({
          createdAt: new Date().toISOString(),
          messageGroupUuid: group,
          messageUuid: randomUUID(),
          sender,
          text: 'into the void',
        })
        await doc.send(new PutCommand({Item: lost, TableName: table}))

        const result = await cli(['ddb', 'stream', 'process', '--once', '--max-retries', '0', ...tableFlags])
        expect(result.code, result.stderr).to.equal(1)
        expect(result.stderr)
          .to.include(`gave up on ${lost.pk}`)
          .and.include(`cruddur ddb patterns update-message-group ${group}`)
        const kept = readFileSync(join(testStack().stateDir, 'stream-given-up.ndjson'), 'utf8')
          .trim()
          .split('\n')
          // Each line is a given-up record as --json reports it, with when and from which table.
          .map((line) => JSON.parse(line) as StreamProcessResult['failed'][number] & {at: string; table: string})
        expect(kept.at(-1)).to.include({pk: lost.pk, table})
        // Given up means moved past: the next run does not try it again.
        const again = await cliJson<StreamProcessResult>(['ddb', 'stream', 'process', '--once', ...tableFlags])
        expect(again.code).to.equal(0)
        expect(again.json.failed).to.deep.equal([])
      },
    )

    it('a restarted processor continues after its checkpoint and does not reapply old records', async () => {
      const again = await cliJson<StreamProcessResult>(['ddb', 'stream', 'process', '--once', ...tableFlags])
      expect(again.json).to.include({applied: 0, records: 0})
      const sent = await sendMessage('one more', erin, cara)
      expect(sent.code, sent.stderr).to.equal(0)
      const next = await cliJson<StreamProcessResult>(['ddb', 'stream', 'process', '--once', ...tableFlags])
      // Its message (and the row moves create-message made itself) and nothing from before.
      expect(next.json).to.include({applied: 1, rowsUpdated: 0})
    })

    it('process refuses --prod: in production the Lambda does the work', async () => {
      const result = await cli(['ddb', 'stream', 'process', '--once', '--prod', ...tableFlags])
      expect(result.code).to.equal(2)
      expect(result.stderr).to.include('infra/')
    })

    it('tail --once --json prints the stream as ndjson, one Lambda-shaped record per line', async () => {
      const result = await cli(['ddb', 'stream', 'tail', '--once', '--json', ...tableFlags])
      expect(result.code, result.stderr).to.equal(0)
      const records = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as StreamRecord)
      const messages = records.filter(
        (record) => record.eventName === 'INSERT' && record.dynamodb?.Keys?.pk?.S?.startsWith('MSG#'),
      )
      expect(messages.map((record) => record.dynamodb!.NewImage!.message.S)).to.include.members([
        'first words',
        'a reply',
        'one more',
      ])
      expect(records.every((record) => record.eventSourceARN?.includes(`table/${table}/stream/`))).to.equal(true)
    })
  })
})

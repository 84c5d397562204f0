import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb'
import {DynamoDBStreamsClient} from '@aws-sdk/client-dynamodb-streams'
import {DynamoDBDocumentClient, PutCommand} from '@aws-sdk/lib-dynamodb'
import {marshall} from '@aws-sdk/util-dynamodb'
import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import {createHash, randomUUID} from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, dirname, join} from 'node:path'
import {createInterface} from 'node:readline'
import {pathToFileURL} from 'node:url'
import pg from 'pg'

import {LOCAL_CREDENTIALS} from '../../src/lib/aws-config.js'
import {type MessageItem, messageItem, type Participant} from '../../src/lib/dynamodb/items.js'
import {createMessage} from '../../src/lib/dynamodb/patterns/create-message.js'
import {type ConversationRowItem, queryGroupRows} from '../../src/lib/dynamodb/patterns/conversation-rows.js'
import {applyMessageToConversation} from '../../src/lib/dynamodb/patterns/update-message-group.js'
import {batchWriteAll} from '../../src/lib/dynamodb/batch-write.js'
import {messagesTableDefinition} from '../../src/lib/dynamodb/schema.js'
import {CheckpointStore, retireStaleCheckpoints, type StreamIdentity} from '../../src/lib/stream/checkpoints.js'
import {createStreamHandler, type StreamLogEntry} from '../../src/lib/stream/handler.js'
import {firstFailure, processStream} from '../../src/lib/stream/processor.js'
import type {StreamRecord} from '../../src/lib/stream/records.js'
import {testStack} from '../hooks.js'
import {addStackUsers} from '../support/database.js'
import {cli, cliJson, errorLines, ROOT} from '../support/cli.js'
import {startEmptyPageProxy} from '../support/empty-page-proxy.js'
import {MessagesTable} from '../../src/lib/dynamodb/messages-table.js'

const person = (name: string): Participant => ({
  displayName: `User ${name}`,
  handle: `${name}_${randomUUID().slice(0, 6)}`,
  uuid: randomUUID(),
})

let sequence = 1000
/** A stream record as Lambda delivers it; sequence numbers rise in creation order, as in a shard. */
function insertRecord(row: object, eventName: StreamRecord['eventName'] = 'INSERT'): StreamRecord {
  const item = row as Record<string, unknown> // a message or conversation row: pk, sk and its attributes
  return {
    awsRegion: 'us-east-1',
    dynamodb: {
      Keys: marshall({pk: item.pk, sk: item.sk}),
      NewImage: marshall(item, {removeUndefinedValues: true}),
      SequenceNumber: String(sequence++).padStart(21, '0'),
      StreamViewType: 'NEW_IMAGE',
    },
    eventName,
    eventSource: 'aws:dynamodb',
  }
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute, 0, 0))

/**
 * A processor starting up, as a separate process: told the instant, it takes the lock of each stream in turn
 * (one every 20 ms), prints `won` or the error code for each, and holds what it won until stdin closes.
 */
const CONTENDER = `
const {CheckpointStore} = await import(process.env.CHECKPOINTS_MODULE)
const {identities, stateDir} = JSON.parse(process.env.CONTENDER)
const stores = identities.map((identity) => new CheckpointStore(stateDir, identity))
process.stdout.write('ready\\n')
const startAt = Number(await new Promise((resolve) => process.stdin.once('data', resolve)))
const results = []
for (const [i, store] of stores.entries()) {
  while (performance.timeOrigin + performance.now() < startAt + i * 20) {}
  try {
    await store.lock()
    results.push('won')
  } catch (error) {
    results.push(error.code ?? String(error))
  }
}
process.stdout.write(JSON.stringify(results) + '\\n')
`

/** Runs `contenders` processes against the same streams at the same instants; one list of results per stream. */
async function contend(contenders: number, stateDir: string, identities: StreamIdentity[]): Promise<string[][]> {
  const env = {
    ...process.env,
    CHECKPOINTS_MODULE: pathToFileURL(join(ROOT, 'src/lib/stream/checkpoints.ts')).href,
    CONTENDER: JSON.stringify({identities, stateDir}),
  }
  const children = Array.from({length: contenders}, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', CONTENDER], {
      cwd: ROOT,
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    child.stdin.on('error', () => {}) // a contender that died early is reported by its missing output
    return {
      exited: new Promise((resolve) => child.on('exit', resolve)),
      lines: createInterface({input: child.stdout})[Symbol.asyncIterator](),
      process: child,
    }
  })
  try {
    for (const child of children) expect((await child.lines.next()).value).to.equal('ready')
    const startAt = Date.now() + 100
    for (const child of children) child.process.stdin.write(`${startAt}\n`)
    const results = await Promise.all(
      children.map(async (child) => JSON.parse((await child.lines.next()).value) as string[]),
    )
    return identities.map((_, i) => results.map((result) => result[i]))
  } finally {
    for (const child of children) child.process.stdin.end()
    await Promise.all(children.map((child) => child.exited))
  }
}

describe('ddb stream', () => {
  const table = `stream-test-${randomUUID().slice(0, 8)}`
  let client: DynamoDBClient
  let doc: DynamoDBDocumentClient
  let messagesTable: MessagesTable
  const silent = () => {}

  /** A conversation between two new people, started by createMessage at minute 0. */
  async function conversation(): Promise<{group: string; a: Participant; b: Participant}> {
    const [a, b] = [person('ann'), person('bob')]
    const started = await createMessage(messagesTable, {now: at(0), recipient: b, sender: a, text: 'hello'})
    return {a, b, group: started.messageGroupUuid}
  }

  const message = (group: string, sender: Participant, minute: number, text = `message at ${minute}`): MessageItem =>
    messageItem({createdAt: at(minute).toISOString(), messageGroupUuid: group, messageUuid: randomUUID(), sender, text})

  async function rowsOf(group: string): Promise<ConversationRowItem[]> {
    return queryGroupRows(messagesTable, group)
  }

  /** Both rows exist exactly once and show `expected`. */
  async function expectRowsShow(group: string, expected: MessageItem) {
    const rows = await rowsOf(group)
    expect(rows, `rows of ${group}`).to.have.length(2)
    for (const row of rows) {
      expect(row.message).to.equal(expected.message)
      expect(row.last_message_sk).to.equal(expected.sk)
    }
  }

  before(async () => {
    const config = {credentials: LOCAL_CREDENTIALS, endpoint: testStack().dynamodbEndpoint, region: 'us-east-1'}
    client = new DynamoDBClient(config)
    doc = DynamoDBDocumentClient.from(client, {marshallOptions: {removeUndefinedValues: true}})
    messagesTable = new MessagesTable({client, doc, name: table})
    await client.send(new CreateTableCommand(messagesTableDefinition({tableName: table})))
  })

  after(async () => {
    await client.send(new DeleteTableCommand({TableName: table})).catch(() => {})
    client.destroy()
  })

  describe('the handler', () => {
    it('applies every record of a large batch across many conversations', async () => {
      const conversations = await Promise.all(Array.from({length: 15}, () => conversation()))
      const messages = conversations.flatMap(({a, b, group}) =>
        Array.from({length: 8}, (_, i) => message(group, i % 2 ? a : b, i + 1)),
      )
      const handle = createStreamHandler({log: silent, table: messagesTable})
      const outcome = await handle({Records: messages.map((item) => insertRecord(item))})
      expect(outcome.batchItemFailures).to.deep.equal([])
      expect(outcome.applied).to.equal(120)
      for (const {group} of conversations)
        await expectRowsShow(group, messages.filter((m) => m.pk.endsWith(group)).at(-1)!)
    })

    it('a replayed batch changes nothing', async () => {
      const {a, group} = await conversation()
      const records = [1, 2, 3].map((minute) => insertRecord(message(group, a, minute)))
      const handle = createStreamHandler({log: silent, table: messagesTable})
      await handle({Records: records})
      const before = await rowsOf(group)
      const replay = await handle({Records: records})
      expect(replay).to.include({applied: 3, rowsUpdated: 0})
      expect(replay.batchItemFailures).to.deep.equal([])
      expect(await rowsOf(group)).to.have.deep.members(before)
    })

    it('records out of order leave the newest message on both rows', async () => {
      const {a, b, group} = await conversation()
      const messages = [5, 2, 9, 1, 7].map((minute) => message(group, minute % 2 ? a : b, minute))
      const outcome = await createStreamHandler({log: silent, table: messagesTable})({
        Records: messages.map((item) => insertRecord(item)),
      })
      expect(outcome.batchItemFailures).to.deep.equal([])
      await expectRowsShow(group, messages[2])
    })

    it('concurrent invocations over the same conversations never leave a stale or duplicated row', async () => {
      const conversations = await Promise.all(Array.from({length: 4}, () => conversation()))
      const messages = conversations.flatMap(({a, group}) =>
        Array.from({length: 12}, (_, i) => message(group, a, i + 1)),
      )
      // Four batches, each holding messages of every conversation, racing each other.
      const batches = [0, 1, 2, 3].map((k) => messages.filter((_, i) => i % 4 === k).map((item) => insertRecord(item)))
      const outcomes = await Promise.all(
        batches.map((records) => createStreamHandler({log: silent, table: messagesTable})({Records: records})),
      )
      for (const outcome of outcomes) expect(outcome.batchItemFailures).to.deep.equal([])
      for (const {group} of conversations)
        await expectRowsShow(group, messages.filter((m) => m.pk.endsWith(group)).at(-1)!)
    })

    it('passes over everything that is not a new message', async () => {
      const {a, b, group} = await conversation()
      const rows = await rowsOf(group)
      const applied: string[] = []
      const apply = async (_table: MessagesTable, item: MessageItem) => {
        applied.push(item.message_uuid)
        return {updated: 0}
      }

      const newMessage = message(group, b, 3)
      const records = [
        insertRecord(rows[0]),
        insertRecord({...rows[1], message: 'edited'}, 'MODIFY'),
        insertRecord(message(group, a, 2), 'MODIFY'),
        insertRecord(message(group, a, 2), 'REMOVE'),
        insertRecord({created_at: 'x', pk: `CONV#${group}`, sk: 'CONV'}),
        insertRecord(newMessage),
      ]
      const outcome = await createStreamHandler({apply, log: silent, table: messagesTable})({Records: records})
      expect(outcome).to.include({applied: 1, ignored: 5})
      expect(applied).to.deep.equal([newMessage.message_uuid])
    })

    it('a failing record is reported in batchItemFailures and the others are applied', async () => {
      const [one, two, three] = await Promise.all([conversation(), conversation(), conversation()])
      const poison = message(two.group, two.a, 4, 'this one fails')
      const afterPoison = message(two.group, two.b, 5)
      const items = [
        message(one.group, one.a, 3),
        poison,
        message(three.group, three.b, 6),
        afterPoison,
        message(one.group, one.b, 7),
      ]
      const records = items.map((item) => insertRecord(item))
      const apply = async (t: MessagesTable, item: MessageItem) => {
        if (item.message_uuid === poison.message_uuid) throw new Error('simulated failure')
        return applyMessageToConversation(t, item)
      }

      const logs: StreamLogEntry[] = []
      const outcome = await createStreamHandler({apply, log: (entry) => logs.push(entry), table: messagesTable})({
        Records: records,
      })
      expect(outcome.batchItemFailures).to.deep.equal([{itemIdentifier: records[1].dynamodb!.SequenceNumber}])
      // The rest of the failed conversation waits for the redelivery that starts at the failed record.
      expect(outcome).to.include({applied: 3, skipped: 1})
      await expectRowsShow(one.group, items[4])
      await expectRowsShow(three.group, items[2])
      const failure = logs.find((entry) => entry.event === 'recordFailed')!
      expect(failure).to.include({
        errorMessage: 'simulated failure',
        pk: poison.pk,
        sequenceNumber: records[1].dynamodb!.SequenceNumber,
        sk: poison.sk,
      })
    })

    it('logs are JSON-ready and never contain message text', async () => {
      const {a, group} = await conversation()
      const secret = `secret text ${randomUUID()}`
      const logs: StreamLogEntry[] = []
      const apply = async () => {
        throw new Error('boom')
      }

      await createStreamHandler({log: (entry) => logs.push(entry), table: messagesTable})({
        Records: [insertRecord(message(group, a, 1, secret))],
      })
      await createStreamHandler({apply, log: (entry) => logs.push(entry), table: messagesTable})({
        Records: [insertRecord(message(group, a, 2, secret))],
      })
      const text = logs.map((entry) => JSON.stringify(entry)).join('\n')
      expect(logs.map((entry) => entry.event)).to.include.members(['batch', 'recordFailed'])
      expect(text).to.not.include(secret)
    })

    it('calls afterApply for each applied message, and its failures do not fail the record', async () => {
      const {a, group} = await conversation()
      const seen: string[] = []
      const items = [message(group, a, 1), message(group, a, 2)]
      const afterApply = async (item: MessageItem) => {
        seen.push(item.message_uuid)
        throw new Error('cache down')
      }

      const logs: StreamLogEntry[] = []
      const outcome = await createStreamHandler({afterApply, log: (entry) => logs.push(entry), table: messagesTable})({
        Records: items.map((item) => insertRecord(item)),
      })
      expect(outcome.batchItemFailures).to.deep.equal([])
      expect(seen).to.deep.equal(items.map((item) => item.message_uuid))
      expect(logs.filter((entry) => entry.event === 'afterApplyFailed')).to.have.length(2)
    })

    it('the Lambda entry reads table, region and endpoint from the environment and answers in the documented shape', async () => {
      const {b, group} = await conversation()
      const item = message(group, b, 30)
      const saved = {...process.env}
      Object.assign(process.env, {
        AWS_ACCESS_KEY_ID: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: testStack().dynamodbEndpoint,
        AWS_REGION: 'us-east-1',
        AWS_SECRET_ACCESS_KEY: 'local',
        DDB_MESSAGE_TABLE: table,
      })
      const log = console.log
      console.log = () => {}
      try {
        const {handler} = await import('../../src/lambda/message-stream.js')
        expect(await handler({Records: [insertRecord(item)]})).to.deep.equal({batchItemFailures: []})
      } finally {
        console.log = log
        for (const name of [
          'AWS_ACCESS_KEY_ID',
          'AWS_ENDPOINT_URL_DYNAMODB',
          'AWS_REGION',
          'AWS_SECRET_ACCESS_KEY',
          'DDB_MESSAGE_TABLE',
        ]) {
          if (saved[name] === undefined) delete process.env[name]
          else process.env[name] = saved[name]
        }
      }

      await expectRowsShow(group, item)
    })

    it('the Lambda entry takes the Momento key from Secrets Manager when only the secret is named', async () => {
      const {environmentWithSecrets} = await import('../../src/lambda/message-stream.js')
      const asked: string[] = []
      const readSecret = async (arn: string) => {
        asked.push(arn)
        return 'key-from-the-secret'
      }

      const arn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:momento-key'
      const filled = await environmentWithSecrets(
        {MOMENTO_API_KEY_SECRET_ARN: arn, MOMENTO_CACHE_NAME: 'cruddur'},
        readSecret,
      )
      expect(filled.MOMENTO_API_KEY).to.equal('key-from-the-secret')
      // A key already given, or no cache at all: Secrets Manager is not asked.
      await environmentWithSecrets(
        {MOMENTO_API_KEY: 'given', MOMENTO_API_KEY_SECRET_ARN: arn, MOMENTO_CACHE_NAME: 'cruddur'},
        readSecret,
      )
      await environmentWithSecrets({MOMENTO_API_KEY_SECRET_ARN: arn}, readSecret)
      expect(asked).to.deep.equal([arn])
    })
  })

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
      const records = [1, 2, 3, 4].map(() => insertRecord({pk: 'MSG#x', sk: 'y'}))
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
      const flaky = message(group, a, 40)
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
      const bad = message(group, a, 50)
      const good = message(group, b, 51)
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
  })

  describe('the checkpoint lock', () => {
    let stateDir: string
    const identity = (n: number): StreamIdentity => ({
      endpoint: 'http://localhost:8000',
      streamArn: `arn:stream/${n}`,
      table: `lock-test-${n}`,
    })
    const lockFileOf = (store: CheckpointStore) => store.file.replace(/\.json$/, '.lock')
    const writeLock = (store: CheckpointStore, pid: number) => {
      mkdirSync(dirname(store.file), {recursive: true})
      writeFileSync(lockFileOf(store), String(pid))
    }

    // Above any pid_max, so no process has it.
    const deadPid = 2 ** 30

    beforeEach(() => {
      stateDir = mkdtempSync(join(tmpdir(), 'cruddur-lock-'))
    })

    afterEach(() => {
      rmSync(stateDir, {force: true, recursive: true})
    })

    it('of processors starting together, exactly one takes the lock', async () => {
      const identities = Array.from({length: 20}, (_, n) => identity(n))
      for (const contenders of await contend(4, stateDir, identities)) {
        expect(
          contenders.filter((result) => result === 'won'),
          contenders.join(),
        ).to.have.length(1)
        expect(contenders.filter((result) => result === 'CONFLICT')).to.have.length(3)
      }
    })

    it('a lock left by a dead process is taken over, by exactly one of the processors starting together', async () => {
      const identities = Array.from({length: 10}, (_, n) => identity(n))
      for (const id of identities) writeLock(new CheckpointStore(stateDir, id), deadPid)
      for (const contenders of await contend(4, stateDir, identities)) {
        expect(
          contenders.filter((result) => result === 'won'),
          contenders.join(),
        ).to.have.length(1)
      }
    })

    it("a lock with this process's pid that no store here holds was left by an earlier process, and is taken over", async () => {
      const store = new CheckpointStore(stateDir, identity(0))
      writeLock(store, process.pid)
      await store.lock()
      store.unlock()
      expect(existsSync(lockFileOf(store))).to.equal(false)
    })

    it('stale checkpoints are removed: a replaced stream of the table at its endpoint, files past the retention, files of the old naming (adopted, without the password)', () => {
      const directory = join(stateDir, 'stream-checkpoints')
      mkdirSync(directory, {recursive: true})
      const current: StreamIdentity = {
        endpoint: 'http://localhost:8000',
        streamArn: 'arn:stream/new',
        table: 'messages',
      }
      const write = (name: string, data: object) => {
        writeFileSync(join(directory, name), JSON.stringify(data))
        return join(directory, name)
      }

      const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16)
      const replaced = write(`${hash('arn:stream/old')}.json`, {
        endpoint: 'http://127.0.0.1:8000',
        shards: {},
        streamArn: 'arn:stream/old',
        table: 'messages',
      })
      const elsewhere = write(`${hash('arn:stream/other')}.json`, {
        endpoint: 'http://localhost:9000',
        shards: {},
        streamArn: 'arn:stream/other',
        table: 'messages',
      })
      const expired = write(`${hash('arn:stream/idle')}.json`, {
        endpoint: 'http://localhost:9000',
        shards: {},
        streamArn: 'arn:stream/idle',
        table: 'other',
      })
      utimesSync(expired, new Date(Date.now() - 25 * 3_600_000), new Date(Date.now() - 25 * 3_600_000))
      const legacyEndpoint = 'http://someone:hunter2@localhost:8000'
      const legacy = write(`${hash(`${legacyEndpoint}\nmessages\narn:stream/new`)}.json`, {
        endpoint: legacyEndpoint,
        shards: {s1: {after: '42'}},
        streamArn: 'arn:stream/new',
        table: 'messages',
      })

      retireStaleCheckpoints(stateDir, current)
      for (const gone of [replaced, expired, legacy]) expect(existsSync(gone), gone).to.equal(false)
      expect(existsSync(elsewhere)).to.equal(true)
      const store = new CheckpointStore(stateDir, current)
      expect(store.shards).to.deep.equal({s1: {after: '42'}})
      expect(readFileSync(store.file, 'utf8')).to.not.include('hunter2')
    })

    it('a second store of the same stream in one process is refused until the first unlocks', async () => {
      const [first, second] = [new CheckpointStore(stateDir, identity(0)), new CheckpointStore(stateDir, identity(0))]
      await first.lock()
      const refused = await second.lock().then(
        () => undefined,
        (error: Error) => error,
      )
      expect(refused?.message).to.match(/Another `cruddur ddb stream process` \(pid \d+\)/)
      first.unlock()
      await second.lock()
      second.unlock()
    })
  })

  describe('end to end, through the binary', () => {
    const handles = ['cara', 'dave', 'erin'].map((name) => `${name}_${randomUUID().slice(0, 8)}`)
    const [cara, dave, erin] = handles
    const tableFlags = ['--table', table]

    interface ProcessJson {
      records: number
      applied: number
      rowsUpdated: number
      failed: unknown[]
    }

    interface ConversationsJson {
      conversations: Array<{lastMessage: string; messageGroupUuid: string; with: {handle: string}}>
    }

    const lastMessageWith = async (owner: string, other: string) => {
      const {json} = await cliJson<ConversationsJson>(['ddb', 'patterns', 'list-conversations', owner, ...tableFlags])
      return json.conversations.find((c) => c.with.handle === other)
    }

    before(async () => {
      await addStackUsers(handles)

      // Start from a drained stream, so the counts below are this test's own.
      const drained = await cliJson<ProcessJson>(['ddb', 'stream', 'process', '--once', ...tableFlags])
      expect(drained.code, drained.stderr).to.equal(0)
    })

    it('create-message into new and existing conversations, then process --once: both users see the new last message', async () => {
      const started = await cliJson<{messageGroupUuid: string}>([
        'ddb',
        'patterns',
        'create-message',
        'first words',
        '--from',
        cara,
        '--to',
        dave,
        ...tableFlags,
      ])
      expect(started.code, started.stderr).to.equal(0)
      const other = await cliJson([
        'ddb',
        'patterns',
        'create-message',
        'hi erin',
        '--from',
        cara,
        '--to',
        erin,
        ...tableFlags,
      ])
      expect(other.code, other.stderr).to.equal(0)
      const reply = await cliJson([
        'ddb',
        'patterns',
        'create-message',
        'a reply',
        '--from',
        dave,
        '--to',
        cara,
        ...tableFlags,
      ])
      expect(reply.code, reply.stderr).to.equal(0)
      // A message whose writer died before updating the rows: only the stream brings them up to date.
      const group = started.json.messageGroupUuid
      const sender = {displayName: `User ${dave}`, handle: dave, uuid: await senderUuid(dave)}
      const orphan = messageItem({
        createdAt: new Date().toISOString(),
        messageGroupUuid: group,
        messageUuid: randomUUID(),
        sender,
        text: 'written while nobody applied it',
      })
      await doc.send(new PutCommand({Item: orphan, TableName: table}))
      expect((await lastMessageWith(cara, dave))!.lastMessage).to.equal('a reply')

      const processed = await cliJson<ProcessJson>(['ddb', 'stream', 'process', '--once', ...tableFlags])
      expect(processed.code, processed.stderr).to.equal(0)
      expect(processed.json).to.include({applied: 4, rowsUpdated: 2})
      expect(processed.json.failed).to.deep.equal([])
      expect((await lastMessageWith(cara, dave))!.lastMessage).to.equal('written while nobody applied it')
      expect((await lastMessageWith(dave, cara))!.lastMessage).to.equal('written while nobody applied it')
      expect((await lastMessageWith(erin, cara))!.lastMessage).to.equal('hi erin')
    })

    it('a record that keeps failing is given up: named with its repair command, kept in the state directory, exit 1', async () => {
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
        .map((line) => JSON.parse(line) as {pk: string; table: string})
      expect(kept.at(-1)).to.include({pk: lost.pk, table})
      // Given up means moved past: the next run does not try it again.
      const again = await cliJson<ProcessJson>(['ddb', 'stream', 'process', '--once', ...tableFlags])
      expect(again.code).to.equal(0)
      expect(again.json.failed).to.deep.equal([])
    })

    it('a restarted processor continues after its checkpoint and does not reapply old records', async () => {
      const again = await cliJson<ProcessJson>(['ddb', 'stream', 'process', '--once', ...tableFlags])
      expect(again.json).to.include({applied: 0, records: 0})
      const sent = await cliJson([
        'ddb',
        'patterns',
        'create-message',
        'one more',
        '--from',
        erin,
        '--to',
        cara,
        ...tableFlags,
      ])
      expect(sent.code, sent.stderr).to.equal(0)
      const next = await cliJson<ProcessJson>(['ddb', 'stream', 'process', '--once', ...tableFlags])
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

  describe('the processor through the binary: kills, re-created tables, endpoints, corrupt state', () => {
    let stateDir: string
    let tables: string[] = []
    const endpoint = () => testStack().dynamodbEndpoint

    beforeEach(() => {
      stateDir = mkdtempSync(join(tmpdir(), 'cruddur-process-'))
    })

    afterEach(async () => {
      rmSync(stateDir, {force: true, recursive: true})
      for (const name of tables) await client.send(new DeleteTableCommand({TableName: name})).catch(() => {})
      tables = []
    })

    async function freshTable(name = `stream-process-${randomUUID().slice(0, 8)}`): Promise<string> {
      await client.send(new CreateTableCommand(messagesTableDefinition({tableName: name})))
      tables.push(name)
      return name
    }

    const streamArnOf = async (name: string) =>
      (await client.send(new DescribeTableCommand({TableName: name}))).Table!.LatestStreamArn!
    const storeOf = async (name: string) =>
      new CheckpointStore(stateDir, {endpoint: endpoint(), streamArn: await streamArnOf(name), table: name})
    const flags = (name: string, at = endpoint()) => ['--table', name, '--endpoint', at, '--state-dir', stateDir]

    /**
     * `conversations` conversations (rows moved by createMessage), then `each` messages apiece written with no
     * row update, as by a writer that died: only the stream brings the rows to the newest. Returns the newest.
     */
    async function pendingMessages(
      name: string,
      conversations: number,
      each: number,
    ): Promise<Map<string, MessageItem>> {
      const newest = new Map<string, MessageItem>()
      const items: MessageItem[] = []
      await Promise.all(
        Array.from({length: conversations}, async () => {
          const [a, b] = [person('ann'), person('bob')]
          const {messageGroupUuid: group} = await createMessage(new MessagesTable({doc, name}), {
            now: at(0),
            recipient: b,
            sender: a,
            text: 'hello',
          })
          for (let minute = 1; minute <= each; minute++) items.push(message(group, minute % 2 ? a : b, minute))
          newest.set(group, items.at(-1)!)
        }),
      )
      await batchWriteAll(doc, name, items as unknown as Array<Record<string, unknown>>)
      return newest
    }

    async function expectAllNewest(name: string, newest: Map<string, MessageItem>) {
      for (const [group, item] of newest) {
        const rows = await queryGroupRows(new MessagesTable({doc, name}), group)
        expect(
          rows.map((row) => row.last_message_sk),
          `rows of ${group}`,
        ).to.deep.equal([item.sk, item.sk])
      }
    }

    /** A long-running `cruddur` with its stderr collected; `exited` resolves with its code (or signal). */
    function start(args: string[]): {child: ChildProcess; stderr: () => string; exited: Promise<number | string>} {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], {
        cwd: ROOT,
        env: process.env,
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      let stderr = ''
      child.stderr!.on('data', (chunk) => (stderr += chunk))
      const exited = new Promise<number | string>((resolve) =>
        child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
      )
      return {child, exited, stderr: () => stderr}
    }

    /** Waits for `condition`, checking every 20 ms; two minutes without it fail the test (nothing is timed). */
    async function until(what: string, condition: () => boolean | Promise<boolean>) {
      for (
        const give = Date.now() + 120_000;
        !(await condition());
        await new Promise((resolve) => setTimeout(resolve, 20))
      ) {
        if (Date.now() > give) throw new Error(`still waiting for ${what}`)
      }
    }

    /** Ends a command that has not ended within a minute (a hang), so the test reports it instead of hanging. */
    async function bounded<T>(what: string, run: Promise<T>): Promise<T> {
      let timer: NodeJS.Timeout | undefined
      const hang = new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not end`)), 60_000)),
      )
      try {
        return await Promise.race([run, hang])
      } finally {
        clearTimeout(timer)
      }
    }

    it('killed mid catch-up, then --once: every conversation row at its newest message, though the stream answers an empty page first', async function () {
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
        const drained = await cliJson<{applied: number; failed: unknown[]}>([
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
    })

    it('a table re-created while its checkpoints exist: the new stream is processed, the old checkpoints are removed', async () => {
      const name = await freshTable()
      await pendingMessages(name, 1, 2)
      expect((await cli(['ddb', 'stream', 'process', '--once', ...flags(name)])).code).to.equal(0)
      const old = await storeOf(name)
      expect(existsSync(old.file)).to.equal(true)

      await client.send(new DeleteTableCommand({TableName: name}))
      await waitUntilTableNotExists({client, maxWaitTime: 60}, {TableName: name})
      await freshTable(name)
      const newest = await pendingMessages(name, 2, 3)
      const processed = await cliJson<{applied: number; streamArn: string}>([
        'ddb',
        'stream',
        'process',
        '--once',
        ...flags(name),
      ])
      expect(processed.code, processed.stderr).to.equal(0)
      expect(processed.json.streamArn).to.equal(await streamArnOf(name))
      await expectAllNewest(name, newest)
      expect(existsSync(old.file), "the old stream's checkpoint").to.equal(false)
      expect(readdirSync(dirname(old.file))).to.deep.equal([basename((await storeOf(name)).file)])
    })

    it('a running processor follows its table re-created, and ends with one line when the table is dropped', async function () {
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
          `Error: Table ${name} was deleted while its stream was being processed (its checkpoints are removed): create it again with \`cruddur ddb schema-load\`, then process its new stream.`,
        ])
        expect(existsSync(current.file)).to.equal(false)
      } finally {
        processor.child.kill('SIGKILL')
      }
    })

    it('`localhost` and `127.0.0.1` are one endpoint: one lock, one processor', async () => {
      const name = await freshTable()
      await pendingMessages(name, 1, 1)
      // The test stack records 127.0.0.1: the same DynamoDB Local by its other name.
      const otherName = endpoint().includes('//127.0.0.1:')
        ? endpoint().replace('//127.0.0.1:', '//localhost:')
        : endpoint().replace('//localhost:', '//127.0.0.1:')
      const processor = start(['ddb', 'stream', 'process', ...flags(name)])
      try {
        const store = await storeOf(name)
        await until('the lock', () => existsSync(store.lockFile))
        const second = await cli(['ddb', 'stream', 'process', '--once', ...flags(name, otherName)])
        expect(second.code).to.equal(9)
        expect(errorLines(second.stderr)).to.deep.equal([
          `Error: Another \`cruddur ddb stream process\` (pid ${processor.child.pid}) is processing the stream of table ${name}: stop it first, or let it do the work.`,
        ])
      } finally {
        processor.child.kill('SIGTERM')
        expect(await bounded('the processor', processor.exited)).to.equal(0)
      }
    })

    it('checkpoints are private (0600 in a 0700 directory) and hold no password of the endpoint', async () => {
      const name = await freshTable()
      await pendingMessages(name, 1, 1)
      const secret = `pw${randomUUID().slice(0, 8)}`
      const processed = await cli([
        'ddb',
        'stream',
        'process',
        '--once',
        ...flags(name, endpoint().replace('//', `//someone:${secret}@`)),
      ])
      expect(processed.code, processed.stderr).to.equal(0)
      const {file} = await storeOf(name)
      expect(readFileSync(file, 'utf8')).to.not.include(secret)
      expect(statSync(file).mode & 0o777).to.equal(0o600)
      expect(statSync(dirname(file)).mode & 0o777).to.equal(0o700)
    })

    it('a corrupt lock is one line naming the file, at once', async () => {
      const name = await freshTable()
      const store = await storeOf(name)
      mkdirSync(dirname(store.lockFile), {recursive: true})
      writeFileSync(store.lockFile, 'not a pid')
      const result = await bounded('process --once', cli(['ddb', 'stream', 'process', '--once', ...flags(name)]))
      expect(result.code).to.equal(9)
      expect(errorLines(result.stderr)).to.deep.equal([
        `Error: The stream lock ${store.lockFile} is corrupt (it holds no process id): if no \`cruddur ddb stream process\` is running, delete it.`,
      ])
    })

    it("a processor waiting for another one's takeover of a stale lock ends on SIGTERM", async () => {
      const name = await freshTable()
      const store = await storeOf(name)
      mkdirSync(dirname(store.lockFile), {recursive: true})
      writeFileSync(store.lockFile, String(2 ** 30)) // a dead processor's
      writeFileSync(`${store.lockFile}.takeover`, String(process.pid)) // a live one taking it over
      const processor = start(['ddb', 'stream', 'process', ...flags(name)])
      try {
        await until('the processor to wait', () => processor.stderr().includes('is taking over the stale lock'))
        processor.child.kill('SIGTERM')
        expect(await bounded('the processor', processor.exited)).to.equal(0)
      } finally {
        processor.child.kill('SIGKILL')
      }
    })

    for (const [what, corrupt, problem] of [
      ['not JSON', () => '{"shards": ', 'not JSON'],
      ['"after": "garbage"', () => ({after: 'garbage'}), 'shard <shard>: "after" is not a sequence number'],
      [
        'a live shard marked finished',
        () => ({finished: true}),
        'shard <shard>: marked finished, but the shard is open',
      ],
    ] as const) {
      it(`a corrupt checkpoint (${what}) is one line naming the file`, async () => {
        const name = await freshTable()
        await pendingMessages(name, 1, 1)
        expect((await cli(['ddb', 'stream', 'process', '--once', ...flags(name)])).code).to.equal(0)
        const {file} = await storeOf(name)
        const saved = JSON.parse(readFileSync(file, 'utf8')) as {shards: Record<string, object>}
        const [shardId] = Object.keys(saved.shards)
        const written = corrupt()
        writeFileSync(
          file,
          typeof written === 'string' ? written : JSON.stringify({...saved, shards: {[shardId]: written}}),
        )
        await pendingMessages(name, 1, 1)
        const result = await bounded('process --once', cli(['ddb', 'stream', 'process', '--once', ...flags(name)]))
        expect(result.code, result.stderr).to.equal(9)
        expect(errorLines(result.stderr)).to.deep.equal([
          `Error: The stream checkpoint ${file} is corrupt (${problem.replace('<shard>', shardId)}): delete it to process the stream from its start again (Pattern D is idempotent).`,
        ])
      })
    }

    it('an unusable --state-dir is one error line, at once', async () => {
      const name = await freshTable()
      const result = await bounded(
        'process --once',
        cli([
          'ddb',
          'stream',
          'process',
          '--once',
          '--table',
          name,
          '--endpoint',
          endpoint(),
          '--state-dir',
          '/proc/cruddur-x',
        ]),
      )
      expect(result.code).to.equal(2)
      expect(errorLines(result.stderr)).to.deep.equal([
        'Error: Cannot write to /proc/cruddur-x/stream-checkpoints (ENOENT): pass a writable --state-dir.',
      ])
    })
  })

  /** The PostgreSQL uuid of a handle, as create-message wrote it into the rows. */
  async function senderUuid(handle: string): Promise<string> {
    const pool = new pg.Pool({connectionString: testStack().databaseUrl})
    try {
      const {rows} = await pool.query<{uuid: string}>('SELECT uuid FROM users WHERE handle = $1', [handle])
      return rows[0].uuid
    } finally {
      await pool.end()
    }
  }
})

import {CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'
import {marshall} from '@aws-sdk/util-dynamodb'
import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {LOCAL_CREDENTIALS} from '../../src/lib/aws-config.js'
import {batchWriteAll} from '../../src/lib/dynamodb/batch-write.js'
import {type MessageItem, messageItem, type Participant} from '../../src/lib/dynamodb/items.js'
import {documentClientFor, MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {type ConversationRowItem, queryGroupRows} from '../../src/lib/dynamodb/patterns/conversation-rows.js'
import {createMessage} from '../../src/lib/dynamodb/patterns/create-message.js'
import {messagesTableDefinition} from '../../src/lib/dynamodb/schema.js'
import {CheckpointStore} from '../../src/lib/stream/checkpoints.js'
import type {StreamRecord} from '../../src/lib/stream/records.js'
import {testStack} from '../hooks.js'
import {ROOT} from './cli.js'

/** A participant of the messages table only: no PostgreSQL row. */
export const person = (name: string): Participant => ({
  displayName: `User ${name}`,
  handle: `${name}_${randomUUID().slice(0, 6)}`,
  uuid: randomUUID(),
})

let sequence = 1000
/** A stream record as Lambda delivers it; sequence numbers rise in creation order, as in a shard. */
export function streamRecord(row: object, eventName: StreamRecord['eventName'] = 'INSERT'): StreamRecord {
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

/** A minute of one day, for message times the tests order. */
export const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute, 0, 0))

/** A message item (not written) in `group`, at `minute`. */
export const messageAt = (group: string, sender: Participant, minute: number, text = `message at ${minute}`) =>
  messageItem({createdAt: at(minute).toISOString(), messageGroupUuid: group, messageUuid: randomUUID(), sender, text})

/** A stream handler's log that goes nowhere. */
export const silent = () => {}

/** What the stream test files share: a table of their own with its stream, and conversations in it. */
export interface StreamTableFixture {
  table: string
  /** Set by the `before` hook. */
  client: DynamoDBClient
  /** Set by the `before` hook. */
  doc: DynamoDBDocumentClient
  /** Set by the `before` hook. */
  messagesTable: MessagesTable
  /** A conversation between two new people, started by createMessage at minute 0. */
  conversation(): Promise<{group: string; a: Participant; b: Participant}>
  rowsOf(group: string): Promise<ConversationRowItem[]>
  /** Both rows exist exactly once and show `expected`. */
  expectRowsShow(group: string, expected: MessageItem): Promise<void>
}

/** Registers, in the calling `describe`, the hooks that create the table (as `schema-load` does) and delete it. */
export function useStreamTable(): StreamTableFixture {
  const table = `stream-test-${randomUUID().slice(0, 8)}`
  const fixture: StreamTableFixture = {
    client: undefined as unknown as DynamoDBClient,
    async conversation() {
      const [a, b] = [person('ann'), person('bob')]
      const started = await createMessage(fixture.messagesTable, {now: at(0), recipient: b, sender: a, text: 'hello'})
      return {a, b, group: started.messageGroupUuid}
    },
    doc: undefined as unknown as DynamoDBDocumentClient,
    async expectRowsShow(group, expected) {
      const rows = await fixture.rowsOf(group)
      expect(rows, `rows of ${group}`).to.have.length(2)
      for (const row of rows) {
        expect(row.message).to.equal(expected.message)
        expect(row.last_message_sk).to.equal(expected.sk)
      }
    },
    messagesTable: undefined as unknown as MessagesTable,
    rowsOf: (group) => queryGroupRows(fixture.messagesTable, group),
    table,
  }

  before(async () => {
    const config = {credentials: LOCAL_CREDENTIALS, endpoint: testStack().dynamodbEndpoint, region: 'us-east-1'}
    fixture.client = new DynamoDBClient(config)
    fixture.doc = documentClientFor(fixture.client)
    fixture.messagesTable = new MessagesTable({client: fixture.client, doc: fixture.doc, name: table})
    await fixture.client.send(new CreateTableCommand(messagesTableDefinition({tableName: table})))
  })

  after(async () => {
    await fixture.client.send(new DeleteTableCommand({TableName: table})).catch(() => {})
    fixture.client.destroy()
  })

  return fixture
}

/** What the tests of `cruddur ddb stream process` as a process share: fresh tables and a state directory per test. */
export interface ProcessorRuns {
  endpoint(): string
  /** This test's state directory. */
  stateDir(): string
  /** A new table with its stream, deleted after the test. */
  freshTable(name?: string): Promise<string>
  streamArnOf(name: string): Promise<string>
  /** The checkpoint store the processor of `name` keeps in this test's state directory. */
  storeOf(name: string): Promise<CheckpointStore>
  /** The flags that point a processor at `name`, at `endpoint`, with this test's state directory. */
  flags(name: string, endpoint?: string): string[]
  /**
   * `conversations` conversations (rows moved by createMessage), then `each` messages apiece written with no
   * row update, as by a writer that died: only the stream brings the rows to the newest. Returns the newest.
   */
  pendingMessages(name: string, conversations: number, each: number): Promise<Map<string, MessageItem>>
  expectAllNewest(name: string, newest: Map<string, MessageItem>): Promise<void>
  /** A long-running `cruddur` with its stderr collected; `exited` resolves with its code (or signal). */
  start(args: string[]): {child: ChildProcess; stderr: () => string; exited: Promise<number | string>}
  /** Waits for `condition`, checking every 20 ms; two minutes without it fail the test (nothing is timed). */
  until(what: string, condition: () => boolean | Promise<boolean>): Promise<void>
  /** Ends a command that has not ended within a minute (a hang), so the test reports it instead of hanging. */
  bounded<T>(what: string, run: Promise<T>): Promise<T>
}

/** Registers, in the calling `describe`, the hooks that give each test a state directory and remove its tables. */
export function useProcessorRuns(stream: StreamTableFixture): ProcessorRuns {
  let stateDir: string
  let tables: string[] = []

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'cruddur-process-'))
  })

  afterEach(async () => {
    rmSync(stateDir, {force: true, recursive: true})
    for (const name of tables) await stream.client.send(new DeleteTableCommand({TableName: name})).catch(() => {})
    tables = []
  })

  const runs: ProcessorRuns = {
    async bounded(what, run) {
      let timer: NodeJS.Timeout | undefined
      const hang = new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not end`)), 60_000)),
      )
      try {
        return await Promise.race([run, hang])
      } finally {
        clearTimeout(timer)
      }
    },
    endpoint: () => testStack().dynamodbEndpoint,
    async expectAllNewest(name, newest) {
      for (const [group, item] of newest) {
        const rows = await queryGroupRows(new MessagesTable({doc: stream.doc, name}), group)
        expect(
          rows.map((row) => row.last_message_sk),
          `rows of ${group}`,
        ).to.deep.equal([item.sk, item.sk])
      }
    },
    flags: (name, endpoint = runs.endpoint()) => ['--table', name, '--endpoint', endpoint, '--state-dir', stateDir],
    async freshTable(name = `stream-process-${randomUUID().slice(0, 8)}`) {
      await stream.client.send(new CreateTableCommand(messagesTableDefinition({tableName: name})))
      tables.push(name)
      return name
    },
    async pendingMessages(name, conversations, each) {
      const newest = new Map<string, MessageItem>()
      const items: MessageItem[] = []
      await Promise.all(
        Array.from({length: conversations}, async () => {
          const [a, b] = [person('ann'), person('bob')]
          const {messageGroupUuid: group} = await createMessage(new MessagesTable({doc: stream.doc, name}), {
            now: at(0),
            recipient: b,
            sender: a,
            text: 'hello',
          })
          for (let minute = 1; minute <= each; minute++) items.push(messageAt(group, minute % 2 ? a : b, minute))
          newest.set(group, items.at(-1)!)
        }),
      )
      await batchWriteAll(
        new MessagesTable({doc: stream.doc, name}),
        items as unknown as Array<Record<string, unknown>>,
      )
      return newest
    },
    start(args) {
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
    },
    stateDir: () => stateDir,
    async storeOf(name) {
      return new CheckpointStore(stateDir, {
        endpoint: runs.endpoint(),
        streamArn: await runs.streamArnOf(name),
        table: name,
      })
    },
    async streamArnOf(name) {
      return (await stream.client.send(new DescribeTableCommand({TableName: name}))).Table!.LatestStreamArn!
    },
    async until(what, condition) {
      for (
        const give = Date.now() + 120_000;
        !(await condition());
        await new Promise((resolve) => setTimeout(resolve, 20))
      ) {
        if (Date.now() > give) throw new Error(`still waiting for ${what}`)
      }
    },
  }
  return runs
}

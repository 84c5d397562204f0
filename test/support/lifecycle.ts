import {randomUUID} from 'node:crypto'
import {type BatchWriteCommand, QueryCommand, ScanCommand, type TransactWriteCommand} from '@aws-sdk/lib-dynamodb'

import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {groupPk, type MessageItem, type Participant} from '../../src/lib/dynamodb/items.js'
import {MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {
  type ConversationRowItem,
  createMessage,
  type CreateMessageResult,
} from '../../src/lib/dynamodb/patterns/index.js'
import {addNamedStackUsers} from './database.js'
import {createTestTable} from './tables.js'

const NAMES = [
  'ann',
  'bob',
  'cat',
  'dan',
  'eve',
  'fay',
  'gus',
  'hal',
  'ida',
  'jon',
  'kim',
  'lea',
  'max',
  'ned',
] as const

/** What the message lifecycle test files share: a table and fourteen users of their own, a clock, and reads. */
export interface LifecycleFixture {
  suffix: string
  table: string
  /** The command-line flags that point a command at the table. */
  flags: string[]
  /** Filled in by the `before` hook. */
  users: Record<(typeof NAMES)[number], Participant>
  /** Set by the `before` hook. */
  ddb: DynamoDbClients
  /** Set by the `before` hook. */
  messagesTable: MessagesTable
  /** Strictly increasing message times: the tests decide which message is the newest. */
  tick(): Date
  send(sender: Participant, to: Participant, text: string): Promise<CreateMessageResult>
  /** Every item of the table, read consistently, in key order. */
  scanAll(): Promise<Array<Record<string, unknown>>>
  /** Both rows of a conversation, read from the base table (not the index). */
  rowsOf(messageGroupUuid: string, participants: Participant[]): Promise<ConversationRowItem[]>
  /** A conversation's messages, newest first. */
  messagesOf(messageGroupUuid: string): Promise<MessageItem[]>
  /** A conversation of `a` and `b` with `count` messages, alternating senders, oldest first. */
  conversation(a: Participant, b: Participant, count: number): Promise<{group: string; sent: CreateMessageResult[]}>
  /** The same table, except that the `failAt`-th command of `kind` fails, as a crash there would. */
  failingAt(kind: typeof BatchWriteCommand | typeof TransactWriteCommand, failAt: number): MessagesTable
}

/**
 * Registers, in the calling `describe`, the hooks that add the users ("ann Tester", …) and create the table, and
 * drop the table afterwards.
 */
export function useLifecycleTable(): LifecycleFixture {
  const suffix = randomUUID().slice(0, 8)
  const table = `lifecycle-test-${suffix}`
  let fresh: Awaited<ReturnType<typeof createTestTable>>
  let clock = Date.UTC(2026, 0, 1, 12, 0, 0)

  const fixture: LifecycleFixture = {
    async conversation(a, b, count) {
      const sent: CreateMessageResult[] = []
      for (let i = 0; i < count; i++)
        sent.push(await fixture.send(i % 2 ? b : a, i % 2 ? a : b, `${a.handle} and ${b.handle} #${i} ${randomUUID()}`))
      return {group: sent[0].messageGroupUuid, sent}
    },
    ddb: undefined as unknown as DynamoDbClients,
    failingAt(kind, failAt) {
      let seen = 0
      const doc = new Proxy(fixture.ddb.doc, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver)
          return async (command: Parameters<typeof target.send>[0]) => {
            if (command instanceof kind && ++seen === failAt) throw new Error('injected failure: the process died here')
            return target.send(command)
          }
        },
      })
      return new MessagesTable({doc, name: table})
    },
    flags: ['--table', table],
    async messagesOf(messageGroupUuid) {
      const output = await fixture.ddb.doc.send(
        new QueryCommand({
          ConsistentRead: true,
          ExpressionAttributeValues: {':pk': `MSG#${messageGroupUuid}`},
          KeyConditionExpression: 'pk = :pk',
          ScanIndexForward: false,
          TableName: table,
        }),
      )
      return output.Items as MessageItem[]
    },
    messagesTable: undefined as unknown as MessagesTable,
    async rowsOf(messageGroupUuid, participants) {
      const rows: ConversationRowItem[] = []
      for (const owner of participants) {
        const output = await fixture.ddb.doc.send(
          new QueryCommand({
            ConsistentRead: true,
            ExpressionAttributeValues: {':group': messageGroupUuid, ':pk': groupPk(owner.uuid)},
            FilterExpression: 'message_group_uuid = :group',
            KeyConditionExpression: 'pk = :pk',
            TableName: table,
          }),
        )
        rows.push(...((output.Items ?? []) as ConversationRowItem[]))
      }

      return rows
    },
    async scanAll() {
      const items: Array<Record<string, unknown>> = []
      let startKey: Record<string, unknown> | undefined
      do {
        const page = await fixture.ddb.doc.send(
          new ScanCommand({ConsistentRead: true, ExclusiveStartKey: startKey, TableName: table}),
        )
        items.push(...(page.Items ?? []))
        startKey = page.LastEvaluatedKey
      } while (startKey)
      return items.sort((a, b) => `${a.pk}\0${a.sk}`.localeCompare(`${b.pk}\0${b.sk}`))
    },
    send: (sender, to, text) =>
      createMessage(fixture.messagesTable, {now: fixture.tick(), recipient: to, sender, text}),
    suffix,
    table,
    tick: () => new Date((clock += 1000)),
    users: {} as LifecycleFixture['users'],
  }

  before(async () => {
    Object.assign(fixture.users, await addNamedStackUsers(NAMES, suffix, (name) => `${name} Tester`))
    fresh = await createTestTable(table)
    fixture.ddb = fresh.ddb
    fixture.messagesTable = fresh.messagesTable
  })

  after(() => fresh.drop())
  return fixture
}

/** A message as the lifecycle commands print it with `--json`. */
export interface MessageJson {
  messageUuid: string
  text?: string
  deleted?: boolean
  sender: Participant
}

/** A conversation as `list-conversations --json` prints it, its last message perhaps deleted. */
export interface ConversationJson {
  messageGroupUuid: string
  lastMessage?: string
  lastMessageDeleted?: boolean
  with: Participant
}

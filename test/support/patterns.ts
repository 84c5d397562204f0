import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {PutCommand, QueryCommand, ScanCommand} from '@aws-sdk/lib-dynamodb'

import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {groupPk, messageItem, type MessageItem, type Participant} from '../../src/lib/dynamodb/items.js'
import {formatKeyTime, microsOfDate} from '../../src/lib/dynamodb/key-time.js'
import {MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {type ConversationRowItem} from '../../src/lib/dynamodb/patterns/index.js'
import {CruddurError} from '../../src/lib/errors.js'
import {addNamedStackUsers} from './database.js'
import {createTestTable} from './tables.js'

const NAMES = ['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal', 'ida', 'jon', 'kim', 'lea'] as const

/** What the access-pattern test files share: a table and twelve users of their own, and reads beside the patterns. */
export interface PatternsFixture {
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
  /** The error a promise rejects with, or a failure if it resolves. */
  rejection(promise: Promise<unknown>): Promise<CruddurError>
  itemCount(): Promise<number>
  /** A participant's rows for one conversation, read from the base table (not the index). */
  rowsOf(owner: Participant, messageGroupUuid: string): Promise<ConversationRowItem[]>
  /** The same table, except that Queries of the index answer with what `index` makes of the real answer. */
  lagging(index: (items: ConversationRowItem[]) => ConversationRowItem[]): MessagesTable
  /** Writes a message item alone, as a writer whose Pattern D has not run yet (`micros` after `at`). */
  putMessage(
    messageGroupUuid: string,
    sender: Participant,
    at: Date,
    text: string,
    micros?: bigint,
  ): Promise<MessageItem>
}

/**
 * Registers, in the calling `describe`, the hooks that add the users ("Ann Tester", …) and create the table, and
 * drop the table afterwards.
 */
export function usePatternsTable(): PatternsFixture {
  const suffix = randomUUID().slice(0, 8)
  const table = `patterns-test-${suffix}`
  let fresh: Awaited<ReturnType<typeof createTestTable>>

  const fixture: PatternsFixture = {
    ddb: undefined as unknown as DynamoDbClients,
    flags: ['--table', table],
    async itemCount() {
      let count = 0
      let startKey: Record<string, unknown> | undefined
      do {
        const page = await fixture.ddb.doc.send(
          new ScanCommand({ExclusiveStartKey: startKey, Select: 'COUNT', TableName: table}),
        )
        count += page.Count ?? 0
        startKey = page.LastEvaluatedKey
      } while (startKey)
      return count
    },
    lagging(index) {
      const doc = new Proxy(fixture.ddb.doc, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver)
          return async (command: Parameters<typeof target.send>[0]) => {
            const output = await target.send(command)
            if (!(command instanceof QueryCommand) || !command.input.IndexName) return output
            return {...output, Items: index((output as {Items?: ConversationRowItem[]}).Items ?? [])}
          }
        },
      })
      return new MessagesTable({doc, name: table})
    },
    messagesTable: undefined as unknown as MessagesTable,
    async putMessage(messageGroupUuid, sender, at, text, micros = 0n) {
      const item = messageItem({
        createdAt: formatKeyTime(microsOfDate(at) + micros),
        messageGroupUuid,
        messageUuid: randomUUID(),
        sender,
        text,
      })
      await fixture.ddb.doc.send(new PutCommand({Item: item, TableName: table}))
      return item
    },
    async rejection(promise) {
      try {
        await promise
      } catch (error) {
        expect(error).to.be.instanceOf(CruddurError)
        return error as CruddurError
      }

      expect.fail('expected an error')
    },
    async rowsOf(owner, messageGroupUuid) {
      const output = await fixture.ddb.doc.send(
        new QueryCommand({
          ConsistentRead: true,
          ExpressionAttributeValues: {':group': messageGroupUuid, ':pk': groupPk(owner.uuid)},
          FilterExpression: 'message_group_uuid = :group',
          KeyConditionExpression: 'pk = :pk',
          TableName: table,
        }),
      )
      return output.Items as ConversationRowItem[]
    },
    suffix,
    table,
    users: {} as PatternsFixture['users'],
  }

  before(async () => {
    const capitalised = (name: string) => `${name[0].toUpperCase()}${name.slice(1)}`
    Object.assign(fixture.users, await addNamedStackUsers(NAMES, suffix, (name) => `${capitalised(name)} Tester`))
    fresh = await createTestTable(table)
    fixture.ddb = fresh.ddb
    fixture.messagesTable = fresh.messagesTable
  })

  after(() => fresh.drop())
  return fixture
}

/** A message as the patterns commands print it with `--json`. */
export interface MessageJson {
  messageUuid: string
  messageGroupUuid: string
  createdAt: string
  text: string
  sender: Participant
}

/** A conversation as `list-conversations --json` prints it. */
export interface ConversationJson {
  messageGroupUuid: string
  with: Participant
  lastMessage: string
  lastMessageAt: string
}

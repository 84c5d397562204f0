import {randomUUID} from 'node:crypto'
import {QueryCommand, ScanCommand} from '@aws-sdk/lib-dynamodb'

import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {groupPk, type Participant} from '../../src/lib/dynamodb/items.js'
import {MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {type ConversationRowItem} from '../../src/lib/dynamodb/patterns/index.js'
import {addNamedStackUsers} from './database.js'
import {createTestTable} from './tables.js'

type DocumentClient = DynamoDbClients['doc']
type Send = DocumentClient['send']

/** A messages table and a cast of users of a test file's own, and reads that go beside the patterns. */
export interface MessagesFixture<Name extends string> {
  suffix: string
  table: string
  /** The command-line flags that point a command at the table. */
  flags: string[]
  /** Filled in by the `before` hook. */
  users: Record<Name, Participant>
  /** Set by the `before` hook. */
  ddb: DynamoDbClients
  /** Set by the `before` hook. */
  messagesTable: MessagesTable
  /** Every item of the table, read consistently, in key order. */
  scanAll(): Promise<Array<Record<string, unknown>>>
  /** A participant's rows for one conversation, read from the base table (not the index). */
  rowsOf(owner: Participant, messageGroupUuid: string): Promise<ConversationRowItem[]>
  /** The same table, except that every command its document client sends goes through `send`. */
  intercepted(send: (command: Parameters<Send>[0], next: Send) => Promise<unknown>): MessagesTable
}

/**
 * Registers, in the calling `describe`, the hooks that add the users (`<name>_<suffix>`, shown as
 * `displayName(name)`) and create the table `<prefix>-<suffix>`, and drop the table afterwards.
 */
export function useMessagesFixture<Name extends string>(
  prefix: string,
  names: readonly Name[],
  displayName: (name: Name) => string,
): MessagesFixture<Name> {
  const suffix = randomUUID().slice(0, 8)
  const table = `${prefix}-${suffix}`
  let fresh: Awaited<ReturnType<typeof createTestTable>>

  const fixture: MessagesFixture<Name> = {
    ddb: undefined as unknown as DynamoDbClients,
    flags: ['--table', table],
    intercepted(send) {
      const doc = new Proxy(fixture.ddb.doc, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver)
          const next = target.send.bind(target) as Send
          return (command: Parameters<Send>[0]) => send(command, next)
        },
      })
      return new MessagesTable({doc, name: table})
    },
    messagesTable: undefined as unknown as MessagesTable,
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
      return (output.Items ?? []) as ConversationRowItem[]
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
    suffix,
    table,
    users: {} as Record<Name, Participant>,
  }

  before(async () => {
    Object.assign(fixture.users, await addNamedStackUsers(names, suffix, displayName))
    fresh = await createTestTable(table)
    fixture.ddb = fresh.ddb
    fixture.messagesTable = fresh.messagesTable
  })

  after(() => fresh.drop())
  return fixture
}

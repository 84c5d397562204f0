/** What the doctor test files share: the app's items written raw, new users, and fresh tables of their own. */
import {CreateTableCommand} from '@aws-sdk/client-dynamodb'
import {BatchWriteCommand, ScanCommand} from '@aws-sdk/lib-dynamodb'
import {randomUUID} from 'node:crypto'

import type {DoctorResult} from '../../src/commands/ddb/doctor.js'
import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {dropTable} from '../../src/lib/dynamodb/table-admin.js'
import {type AppUser, appConversationRow, appMessage} from './app-items.js'
import {cliJson} from './cli.js'
import {testDynamoDbClients} from './tables.js'

export type Item = Record<string, string>

/** The app's items (test/support/app-items.ts), positionally; a row gets `last_message_sk` as this CLI writes it. */
export const raw = {
  message: (group: string, sk: string, sender: AppUser, text: string): Item =>
    appMessage({messageGroupUuid: group, sender, sk, text}),
  row: (group: string, owner: AppUser, other: AppUser, sk: string, text: string, lastMessageSk?: string): Item => ({
    ...appConversationRow({lastMessage: text, messageGroupUuid: group, other, owner, sk}),
    ...(lastMessageSk ? {last_message_sk: lastMessageSk} : {}),
  }),
}

export const user = (name: string): AppUser => ({
  displayName: `${name} Tester`,
  handle: `${name}_${randomUUID().slice(0, 4)}`,
  uuid: randomUUID(),
})

/** Every repair doctor knows, merging a pair's conversations too. */
export const FIX_ALL = ['--fix', '--deep', '--merge-conversations']

/** `cruddur ddb doctor --json` on `table`, with these flags. */
export const doctor = (table: string, ...flags: string[]) =>
  cliJson<DoctorResult>(['ddb', 'doctor', ...flags, '--table', table])

export interface DoctorTables {
  /** The test stack's clients (set in the file's `before`). */
  ddb: DynamoDbClients
  /** A fresh table name, dropped after the file's tests. */
  freshTable(what: string): string
  put(table: string, items: Item[]): Promise<void>
  /** A table as the course creates it: its keys and nothing else (no stream, no index). */
  keysOnlyTable(what: string): Promise<string>
  /** One healthy conversation of two new users: a message and both rows at it. Returns its group. */
  oneConversation(table: string): Promise<string>
  allItems(table: string): Promise<Item[]>
}

/** Fresh tables for a doctor test file, dropped after it. */
export function useDoctorTables(): DoctorTables {
  const tables: string[] = []
  const fixture: DoctorTables = {
    async allItems(table) {
      const items: Item[] = []
      let startKey: Record<string, unknown> | undefined
      do {
        const page = await fixture.ddb.doc.send(
          new ScanCommand({ConsistentRead: true, ExclusiveStartKey: startKey, TableName: table}),
        )
        items.push(...((page.Items ?? []) as Item[]))
        startKey = page.LastEvaluatedKey
      } while (startKey)
      return items
    },
    ddb: undefined as unknown as DynamoDbClients,
    freshTable(what) {
      const table = `doctor-${what}-${randomUUID().slice(0, 8)}`
      tables.push(table)
      return table
    },
    async keysOnlyTable(what) {
      const table = fixture.freshTable(what)
      await fixture.ddb.client.send(
        new CreateTableCommand({
          AttributeDefinitions: [
            {AttributeName: 'pk', AttributeType: 'S'},
            {AttributeName: 'sk', AttributeType: 'S'},
          ],
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [
            {AttributeName: 'pk', KeyType: 'HASH'},
            {AttributeName: 'sk', KeyType: 'RANGE'},
          ],
          TableName: table,
        }),
      )
      return table
    },
    async oneConversation(table) {
      const [a, b] = [user('a'), user('b')]
      const group = randomUUID()
      const message = raw.message(group, '2026-11-29T11:51:56.529847+00:00', a, 'hi')
      await fixture.put(table, [
        message,
        raw.row(group, a, b, message.sk, 'hi', message.sk),
        raw.row(group, b, a, message.sk, 'hi', message.sk),
      ])
      return group
    },
    async put(table, items) {
      for (let i = 0; i < items.length; i += 25) {
        await fixture.ddb.doc.send(
          new BatchWriteCommand({
            RequestItems: {[table]: items.slice(i, i + 25).map((Item) => ({PutRequest: {Item}}))},
          }),
        )
      }
    },
  }

  before(() => {
    fixture.ddb = testDynamoDbClients('unused')
  })

  after(async function () {
    this.timeout(60_000)
    for (const table of tables) await dropTable(fixture.ddb.client, table, {ifExists: true})
    fixture.ddb.client.destroy()
  })

  return fixture
}

import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {QueryCommand, ScanCommand} from '@aws-sdk/lib-dynamodb'
import {DateTime} from 'luxon'

import type {CreateMessageResult} from '../../src/commands/ddb/patterns/create-message.js'
import type {GetConversationResult} from '../../src/commands/ddb/patterns/get-conversation.js'
import type {ListConversationsResult} from '../../src/commands/ddb/patterns/list-conversations.js'
import type {UpdateMessageGroupResult} from '../../src/commands/ddb/patterns/update-message-group.js'
import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {type MessageItem, type Participant} from '../../src/lib/dynamodb/items.js'
import {formatKeyTime, keyMicros} from '../../src/lib/dynamodb/key-time.js'
import {
  applyMessageToConversation,
  type ConversationRowItem,
  conversationUuidFor,
  getConversation,
  updateMessageGroup,
} from '../../src/lib/dynamodb/patterns/index.js'
import {appConversation, appMessage, appTime, micros, putAppItems} from '../support/app-items.js'
import {addNamedStackUsers} from '../support/database.js'
import {createTestTable} from '../support/tables.js'
import {cli, cliJson} from '../support/cli.js'
import {MessagesTable} from '../../src/lib/dynamodb/messages-table.js'

/** The CLI beside the Cruddur app: on items the app (and the course's Lambda) wrote, in the app's key formats. */
describe('beside the Cruddur app', () => {
  const suffix = randomUUID().slice(0, 8)
  const table = `beside-app-${suffix}`
  const flags = ['--table', table]
  const names = ['amy', 'ben', 'cid', 'deb', 'eli', 'flo', 'gil', 'hay', 'ivy'] as const
  const users = {} as Record<(typeof names)[number], Participant>
  let ddb: DynamoDbClients
  let messagesTable: MessagesTable
  let fresh: Awaited<ReturnType<typeof createTestTable>>

  before(async () => {
    const capitalised = (name: string) => `${name[0].toUpperCase()}${name.slice(1)}`
    Object.assign(users, await addNamedStackUsers(names, suffix, (name) => `${capitalised(name)} App`))
    fresh = await createTestTable(table)
    ;({ddb, messagesTable} = fresh)
  })

  after(() => fresh.drop())

  /** Every conversation row of a group, read from the table (the index may lag). */
  async function groupRows(group: string, owners: Participant[]): Promise<ConversationRowItem[]> {
    const rows: ConversationRowItem[] = []
    for (const owner of owners) {
      const output = await ddb.doc.send(
        new QueryCommand({
          ConsistentRead: true,
          ExpressionAttributeValues: {':group': group, ':pk': `GRP#${owner.uuid}`},
          FilterExpression: 'message_group_uuid = :group',
          KeyConditionExpression: 'pk = :pk',
          TableName: table,
        }),
      )
      rows.push(...(output.Items as ConversationRowItem[]))
    }

    return rows
  }

  /** A message item as stored, by its uuid. */
  async function messageItemOf(group: string, messageUuid: string): Promise<MessageItem> {
    const output = await ddb.doc.send(
      new QueryCommand({
        ExpressionAttributeValues: {':pk': `MSG#${group}`},
        KeyConditionExpression: 'pk = :pk',
        TableName: table,
      }),
    )
    return (output.Items as MessageItem[]).find((item) => item.message_uuid === messageUuid)!
  }

  /**
   * A conversation as the course's Lambda leaves it racing other writers: two rows per owner, none with
   * last_message_sk.
   */
  async function fourRowConversation(a: Participant, b: Participant) {
    const conversation = appConversation({
      a,
      b,
      messages: [
        {from: 'a', sk: appTime(micros('2026-11-29T11:51:56.529847Z')), text: 'first'},
        {from: 'b', sk: appTime(micros('2026-11-29T11:53:19.494173Z'), 'naive'), text: 'second'},
      ],
      rowsForEveryMessage: true,
    })
    await putAppItems(ddb.doc, table, [...conversation.messages, ...conversation.rows])
    expect(await groupRows(conversation.messageGroupUuid, [a, b])).to.have.length(4)
    return conversation
  }

  /** Exactly one row per participant, each showing `newest` (rows the app wrote know only its time). */
  async function expectOneRowEachAt(group: string, owners: Participant[], newest: Pick<MessageItem, 'sk' | 'message'>) {
    const rows = await groupRows(group, owners)
    expect(rows.map((row) => row.pk).sort()).to.deep.equal(owners.map((owner) => `GRP#${owner.uuid}`).sort())
    for (const row of rows) {
      expect(row.message).to.equal(newest.message)
      if (row.last_message_sk === undefined) expect(keyMicros(row.sk)).to.equal(keyMicros(newest.sk))
      else expect(row.last_message_sk).to.equal(newest.sk)
    }
  }

  describe('Pattern D never refuses what the app left', () => {
    it('applies a message with a -05:00 key by its instant: the newest wins although its key sorts first', async () => {
      const conversation = appConversation({
        a: users.amy,
        b: users.ben,
        messages: [{from: 'a', sk: appTime(micros('2026-11-29T11:51:56.529847Z')), text: 'at 11:51 UTC'}],
      })
      await putAppItems(ddb.doc, table, [...conversation.messages, ...conversation.rows])
      // 06:52:35-05:00 is 11:52:35 UTC: later than 11:51:56+00:00, though it sorts before it as a string.
      const offset = appMessage({
        messageGroupUuid: conversation.messageGroupUuid,
        sender: users.ben,
        sk: appTime(micros('2026-11-29T11:52:35.970508Z'), {offsetMinutes: -300}),
        text: 'from New York',
      })
      expect(offset.sk).to.equal('2026-11-29T06:52:35.970508-05:00')
      await putAppItems(ddb.doc, table, [offset])

      const result = await applyMessageToConversation(messagesTable, offset as MessageItem)
      expect(result.updated).to.equal(2)
      await expectOneRowEachAt(conversation.messageGroupUuid, [users.amy, users.ben], offset)
      for (const row of await groupRows(conversation.messageGroupUuid, [users.amy, users.ben]))
        expect(row.last_message_sk).to.equal(offset.sk)
      // The row's own key is the message's instant in the canonical form.
      for (const row of await groupRows(conversation.messageGroupUuid, [users.amy, users.ben]))
        expect(row.sk).to.equal('2026-11-29T11:52:35.970508+00:00')
      // An older message (by instant) then changes nothing, although its key sorts after.
      expect(
        (await applyMessageToConversation(messagesTable, conversation.messages[0] as MessageItem)).updated,
      ).to.equal(0)
      // The repair finds the -05:00 message as the newest too.
      const repaired = await updateMessageGroup(messagesTable, conversation.messageGroupUuid)
      expect(repaired.lastMessage.messageUuid).to.equal(offset.message_uuid)
      expect(repaired.updated).to.equal(0)
    })

    it(
      'a conversation with two rows per owner is brought to one row each at the newest message, ' + 'and stays so',
      async () => {
        const {messageGroupUuid, messages} = await fourRowConversation(users.amy, users.cid)
        const result = await updateMessageGroup(messagesTable, messageGroupUuid)
        expect(result.removed).to.equal(2)
        expect(result.lastMessage.messageUuid).to.equal(messages[1].message_uuid)
        await expectOneRowEachAt(messageGroupUuid, [users.amy, users.cid], messages[1])
        const again = await updateMessageGroup(messagesTable, messageGroupUuid)
        expect(again).to.include({removed: 0, updated: 0})
      },
    )

    it(
      'update-message-group, create-message --group and get-conversation --as work ' +
        'on a conversation that had four rows, leaving two',
      async () => {
        const updated = await fourRowConversation(users.deb, users.eli)
        const update = await cliJson<UpdateMessageGroupResult>([
          'ddb',
          'patterns',
          'update-message-group',
          updated.messageGroupUuid,
          ...flags,
        ])
        expect(update.code, update.stderr).to.equal(0)
        expect(update.json.removed).to.equal(2)
        await expectOneRowEachAt(updated.messageGroupUuid, [users.deb, users.eli], updated.messages[1])

        const posted = await fourRowConversation(users.deb, users.flo)
        const send = await cliJson<CreateMessageResult>([
          'ddb',
          'patterns',
          'create-message',
          '--from',
          users.flo.handle,
          '--group',
          posted.messageGroupUuid,
          'after the race',
          ...flags,
        ])
        expect(send.code, send.stderr).to.equal(0)
        await expectOneRowEachAt(
          posted.messageGroupUuid,
          [users.deb, users.flo],
          await messageItemOf(posted.messageGroupUuid, send.json.message.messageUuid),
        )

        const read = await fourRowConversation(users.eli, users.flo)
        const got = await cli([
          'ddb',
          'patterns',
          'get-conversation',
          read.messageGroupUuid,
          '--as',
          users.eli.handle,
          ...flags,
        ])
        expect(got.code, got.stderr).to.equal(0)
        expect(got.stdout).to.include('first').and.include('second')
        const page = await getConversation(messagesTable, read.messageGroupUuid, {asUser: users.flo.uuid})
        expect(page.messages).to.have.length(2)
        // Reading changes nothing; the next Pattern D run (here the repair) leaves two rows.
        await updateMessageGroup(messagesTable, read.messageGroupUuid)
        await expectOneRowEachAt(read.messageGroupUuid, [users.eli, users.flo], read.messages[1])
      },
    )
  })

  describe('keys the app can read', () => {
    /**
     * Python's `datetime.strptime(sk, '%Y-%m-%dT%H:%M:%S.%f%z')` (the course's get-conversation script), as a
     * pattern: %f takes 1-6 digits and %z a ±HH:MM offset, and nothing may follow ("unconverted data remains").
     */
    const STRPTIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,6}[+-]\d{2}:?\d{2}$/
    /** The app's own UTC form: six fractional digits, `+00:00`. */
    const APP_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/

    async function allItems(): Promise<Array<{pk: string; sk: string; last_message_sk?: string}>> {
      const items: Array<{pk: string; sk: string}> = []
      let startKey: Record<string, unknown> | undefined
      do {
        const page = await ddb.doc.send(
          new ScanCommand({ConsistentRead: true, ExclusiveStartKey: startKey, TableName: table}),
        )
        items.push(...(page.Items as Array<{pk: string; sk: string}>))
        startKey = page.LastEvaluatedKey
      } while (startKey)
      return items
    }

    /** Whether a key is one the app reads: its format, Luxon's fromISO, strptime; and the instant it names. */
    function expectAppReadable(sk: string) {
      expect(sk).to.match(APP_FORMAT)
      expect(sk).to.match(STRPTIME)
      const parsed = DateTime.fromISO(sk, {setZone: true})
      expect(parsed.isValid, `${sk}: ${parsed.invalidExplanation}`).to.equal(true)
      expect(parsed.offset).to.equal(0)
      expect(BigInt(parsed.toMillis())).to.equal(keyMicros(sk) / 1000n)
    }

    it("every key the CLI writes (messages, rows, seed) is a time alone in the app's UTC format", async () => {
      const started = await cliJson<CreateMessageResult>([
        'ddb',
        'patterns',
        'create-message',
        '--from',
        users.gil.handle,
        '--to',
        users.hay.handle,
        'hello',
        ...flags,
      ])
      expect(started.code, started.stderr).to.equal(0)
      const replied = await cli([
        'ddb',
        'patterns',
        'create-message',
        '--from',
        users.hay.handle,
        '--group',
        started.json.messageGroupUuid,
        'hi',
        ...flags,
      ])
      expect(replied.code, replied.stderr).to.equal(0)
      const seeded = await cli([
        'ddb',
        'seed',
        ...flags,
        '--handles',
        `${users.hay.handle},${users.ivy.handle}`,
        '--conversations',
        '1',
        '--messages',
        '4',
      ])
      expect(seeded.code, seeded.stderr).to.equal(0)

      // Every row of these three users (no one else wrote theirs yet) and every message of their conversations.
      const items = await allItems()
      const rows = items.filter((item) =>
        [users.gil, users.hay, users.ivy].some((user) => item.pk === `GRP#${user.uuid}`),
      ) as ConversationRowItem[]
      const groups = new Set(rows.map((row) => `MSG#${row.message_group_uuid}`))
      const messages = items.filter((item) => groups.has(item.pk))
      expect(rows).to.have.length(2 + 2)
      expect(messages).to.have.length(2 + 4)
      for (const item of [...rows, ...messages] as Array<{sk: string; last_message_sk?: string}>) {
        expectAppReadable(item.sk)
        if (item.last_message_sk !== undefined) expectAppReadable(item.last_message_sk)
      }
    })

    it('--json gives every time in the canonical UTC form, whatever form the app wrote', async () => {
      const conversation = appConversation({
        a: users.gil,
        b: users.ivy,
        messages: [
          {from: 'a', sk: appTime(micros('2026-11-29T11:51:56Z')), text: 'no fraction'},
          {from: 'b', sk: appTime(micros('2026-11-29T11:52:35.970508Z'), {offsetMinutes: -300}), text: 'New York'},
          {from: 'a', sk: appTime(micros('2026-11-29T11:53:19.494173Z'), 'naive'), text: 'naive'},
        ],
      })
      await putAppItems(ddb.doc, table, [...conversation.messages, ...conversation.rows])
      const read = await cliJson<GetConversationResult>([
        'ddb',
        'patterns',
        'get-conversation',
        conversation.messageGroupUuid,
        ...flags,
      ])
      expect(read.code, read.stderr).to.equal(0)
      expect(read.json.messages.map((m) => [m.text, m.createdAt]).sort()).to.deep.equal([
        ['New York', '2026-11-29T11:52:35.970508+00:00'],
        ['naive', '2026-11-29T11:53:19.494173+00:00'],
        ['no fraction', '2026-11-29T11:51:56.000000+00:00'],
      ])
      const listed = await cliJson<ListConversationsResult>([
        'ddb',
        'patterns',
        'list-conversations',
        users.ivy.handle,
        ...flags,
      ])
      expect(
        listed.json.conversations.find((c) => c.messageGroupUuid === conversation.messageGroupUuid)?.lastMessageAt,
      ).to.equal('2026-11-29T11:53:19.494173+00:00')
    })

    it(
      "create-message --to adds to the pair's conversation the app started with a random id: the one with the " +
        'newest message',
      async () => {
        // Three conversations of the pair; the newest by instant is neither first nor last by key text.
        const oldest = appConversation({
          a: users.amy,
          b: users.ivy,
          messages: [{from: 'a', sk: appTime(micros('2026-11-28T08:00:00Z'), {offsetMinutes: -300}), text: 'oldest'}],
        })
        const newer = appConversation({
          a: users.ivy,
          b: users.amy,
          messages: [{from: 'a', sk: appTime(micros('2026-11-28T10:00:00.5Z'), {offsetMinutes: -300}), text: 'newest'}],
        })
        const older = appConversation({
          a: users.amy,
          b: users.ivy,
          messages: [{from: 'b', sk: appTime(micros('2026-11-28T09:00:00.000001Z')), text: 'older'}],
        })
        expect([oldest, newer, older].map((c) => c.rows[0].sk)).to.deep.equal(
          [...[oldest, newer, older].map((c) => c.rows[0].sk)].sort(),
        )
        await putAppItems(
          ddb.doc,
          table,
          [oldest, newer, older].flatMap((c) => [...c.messages, ...c.rows]),
        )

        const sent = await cliJson<CreateMessageResult>([
          'ddb',
          'patterns',
          'create-message',
          '--from',
          users.amy.handle,
          '--to',
          users.ivy.handle,
          'which one?',
          ...flags,
        ])
        expect(sent.code, sent.stderr).to.equal(0)
        expect(sent.json).to.deep.include({messageGroupUuid: newer.messageGroupUuid, newConversation: false})
        expect(sent.json.messageGroupUuid).to.not.equal(conversationUuidFor(users.amy.uuid, users.ivy.uuid))
        const rows = await groupRows(newer.messageGroupUuid, [users.amy, users.ivy])
        expect(rows.map((row) => row.message)).to.deep.equal(['which one?', 'which one?'])
      },
    )

    it('two conversations of one owner whose last messages share a microsecond both keep their row', async () => {
      const now = new Date('2026-06-01T08:00:00.123Z')
      const {createMessage} = await import('../../src/lib/dynamodb/patterns/index.js')
      const one = await createMessage(messagesTable, {now, recipient: users.ben, sender: users.hay, text: 'to ben'})
      const two = await createMessage(messagesTable, {now, recipient: users.cid, sender: users.hay, text: 'to cid'})
      expect(one.item.sk).to.equal(two.item.sk)
      const hayRows = (await groupRows(one.messageGroupUuid, [users.hay])).concat(
        await groupRows(two.messageGroupUuid, [users.hay]),
      )
      expect(hayRows.map((row) => row.sk).sort()).to.deep.equal([
        formatKeyTime(keyMicros(one.item.sk)),
        formatKeyTime(keyMicros(one.item.sk) + 1n),
      ])
      for (const row of hayRows) expect(row.last_message_sk).to.equal(one.item.sk)
    })
  })
})

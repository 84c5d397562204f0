import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import pg from 'pg'
import {PutCommand, QueryCommand, ScanCommand} from '@aws-sdk/lib-dynamodb'

import {batchWriteAll} from '../../src/lib/dynamodb/batch-write.js'
import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {
  conversationRow,
  groupPk,
  messageItem,
  type MessageItem,
  type Participant,
  timestamp,
} from '../../src/lib/dynamodb/items.js'
import {formatKeyTime, microsOfDate} from '../../src/lib/dynamodb/key-time.js'
import {
  applyMessageToConversation,
  conversationUuidFor,
  type ConversationRowItem,
  createMessage,
  getConversation,
  listConversations,
  MAX_MESSAGE_LENGTH,
  updateMessageGroup,
} from '../../src/lib/dynamodb/patterns/index.js'
import {uuidV5} from '../../src/lib/dynamodb/patterns/conversation-uuid.js'
import {CruddurError} from '../../src/lib/errors.js'
import {loadSchema} from '../../src/lib/postgres/schema.js'
import {testStack} from '../hooks.js'
import {createTestTable} from '../support/tables.js'
import {cli, cliJson, errorLines} from '../support/cli.js'
import {MessagesTable} from '../../src/lib/dynamodb/messages-table.js'

interface MessageJson {
  messageUuid: string
  messageGroupUuid: string
  createdAt: string
  text: string
  sender: Participant
}

interface ConversationJson {
  messageGroupUuid: string
  with: Participant
  lastMessage: string
  lastMessageAt: string
}

describe('cruddur ddb patterns', () => {
  const suffix = randomUUID().slice(0, 8)
  const table = `patterns-test-${suffix}`
  const names = ['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal', 'ida', 'jon', 'kim', 'lea'] as const
  const users = {} as Record<(typeof names)[number], Participant>
  let ddb: DynamoDbClients
  let messagesTable: MessagesTable
  let fresh: Awaited<ReturnType<typeof createTestTable>>

  const flags = ['--table', table]

  /** The error a promise rejects with, or a failure if it resolves. */
  async function rejection(promise: Promise<unknown>): Promise<CruddurError> {
    try {
      await promise
    } catch (error) {
      expect(error).to.be.instanceOf(CruddurError)
      return error as CruddurError
    }

    expect.fail('expected an error')
  }

  async function itemCount(): Promise<number> {
    let count = 0
    let startKey: Record<string, unknown> | undefined
    do {
      const page = await ddb.doc.send(new ScanCommand({ExclusiveStartKey: startKey, Select: 'COUNT', TableName: table}))
      count += page.Count ?? 0
      startKey = page.LastEvaluatedKey
    } while (startKey)
    return count
  }

  /** A participant's rows for one conversation, read from the base table (not the index). */
  async function rowsOf(owner: Participant, messageGroupUuid: string): Promise<ConversationRowItem[]> {
    const output = await ddb.doc.send(
      new QueryCommand({
        ConsistentRead: true,
        ExpressionAttributeValues: {':group': messageGroupUuid, ':pk': groupPk(owner.uuid)},
        FilterExpression: 'message_group_uuid = :group',
        KeyConditionExpression: 'pk = :pk',
        TableName: table,
      }),
    )
    return output.Items as ConversationRowItem[]
  }

  /** The same table, except that Queries of the index answer with what `index` makes of the real answer. */
  function lagging(index: (items: ConversationRowItem[]) => ConversationRowItem[]): MessagesTable {
    const doc = new Proxy(ddb.doc, {
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
  }

  /** Writes a message item alone, as a writer whose Pattern D has not run yet (`micros` after `at`). */
  async function putMessage(
    messageGroupUuid: string,
    sender: Participant,
    at: Date,
    text: string,
    micros = 0n,
  ): Promise<MessageItem> {
    const item = messageItem({
      createdAt: formatKeyTime(microsOfDate(at) + micros),
      messageGroupUuid,
      messageUuid: randomUUID(),
      sender,
      text,
    })
    await ddb.doc.send(new PutCommand({Item: item, TableName: table}))
    return item
  }

  before(async () => {
    const pool = new pg.Pool({connectionString: testStack().databaseUrl})
    try {
      await loadSchema(pool)
      for (const name of names) {
        const handle = `${name}_${suffix}`
        const {rows} = await pool.query<{uuid: string}>(
          'INSERT INTO users (display_name, handle, email) VALUES ($1, $2, $3) RETURNING uuid',
          [`${name[0].toUpperCase()}${name.slice(1)} Tester`, handle, `${handle}@example.com`],
        )
        users[name] = {displayName: `${name[0].toUpperCase()}${name.slice(1)} Tester`, handle, uuid: rows[0].uuid}
      }
    } finally {
      await pool.end()
    }

    fresh = await createTestTable(table)
    ;({ddb, messagesTable} = fresh)
  })

  after(() => fresh.drop())

  describe('library', () => {
    it('derives one conversation id per pair, whoever starts it (RFC 9562 v5)', () => {
      // The RFC's example: v5 of www.example.com in the DNS namespace.
      expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).to.equal(
        '2ed6657d-e927-568b-95e1-2665a8aea6a2',
      )
      expect(conversationUuidFor(users.ann.uuid, users.bob.uuid)).to.equal(
        conversationUuidFor(users.bob.uuid, users.ann.uuid),
      )
      expect(conversationUuidFor(users.ann.uuid, users.bob.uuid)).to.not.equal(
        conversationUuidFor(users.ann.uuid, users.cat.uuid),
      )
    })

    it('starting a conversation writes its two rows and first message together, each row showing the other person', async () => {
      const result = await createMessage(messagesTable, {recipient: users.bob, sender: users.ann, text: 'hello bob'})
      expect(result.newConversation).to.equal(true)
      expect(result.messageGroupUuid).to.equal(conversationUuidFor(users.ann.uuid, users.bob.uuid))

      const annRows = await rowsOf(users.ann, result.messageGroupUuid)
      const bobRows = await rowsOf(users.bob, result.messageGroupUuid)
      expect(annRows).to.have.length(1)
      expect(bobRows).to.have.length(1)
      expect(annRows[0]).to.include({
        message: 'hello bob',
        user_handle: users.bob.handle,
        last_message_sk: result.item.sk,
      })
      expect(bobRows[0]).to.include({message: 'hello bob', user_handle: users.ann.handle})

      const page = await getConversation(messagesTable, result.messageGroupUuid)
      expect(page.messages.map((m) => m.text)).to.deep.equal(['hello bob'])
      expect(page.nextCursor).to.equal(null)
    })

    it('starting a conversation again with the same person adds to the existing one', async () => {
      const again = await createMessage(messagesTable, {recipient: users.ann, sender: users.bob, text: 'hi ann'})
      expect(again.newConversation).to.equal(false)
      expect(again.messageGroupUuid).to.equal(conversationUuidFor(users.ann.uuid, users.bob.uuid))
      expect(await rowsOf(users.ann, again.messageGroupUuid)).to.have.length(1)
      const [annRow] = await rowsOf(users.ann, again.messageGroupUuid)
      expect(annRow.message).to.equal('hi ann')
      const {conversations} = await listConversations(messagesTable, users.ann.uuid)
      expect(conversations.filter((c) => c.with.uuid === users.bob.uuid)).to.have.length(1)
    })

    it('many concurrent starts between one pair make one conversation holding every message', async () => {
      const results = await Promise.all(
        Array.from({length: 10}, (_, i) =>
          createMessage(
            messagesTable,
            i % 2
              ? {recipient: users.dan, sender: users.cat, text: `start ${i}`}
              : {recipient: users.cat, sender: users.dan, text: `start ${i}`},
          ),
        ),
      )
      expect(results.filter((r) => r.newConversation)).to.have.length(1)
      expect(new Set(results.map((r) => r.messageGroupUuid)).size).to.equal(1)
      const group = results[0].messageGroupUuid
      const page = await getConversation(messagesTable, group, {limit: 50})
      expect(page.messages).to.have.length(10)
      const newestSk = results
        .map((r) => r.item.sk)
        .sort()
        .at(-1)
      for (const owner of [users.cat, users.dan]) {
        const rows = await rowsOf(owner, group)
        expect(rows).to.have.length(1)
        expect(rows[0].last_message_sk).to.equal(newestSk)
      }
    })

    it('two messages written in the same microsecond are both kept, in a stable order, the second a microsecond later', async () => {
      const at = new Date('2026-03-01T12:00:00.000Z')
      const start = await createMessage(messagesTable, {
        now: new Date(at.getTime() - 1000),
        recipient: users.fay,
        sender: users.eve,
        text: 'first',
      })
      const one = await createMessage(messagesTable, {
        messageGroupUuid: start.messageGroupUuid,
        now: at,
        sender: users.eve,
        text: 'same µs one',
      })
      const two = await createMessage(messagesTable, {
        messageGroupUuid: start.messageGroupUuid,
        now: at,
        sender: users.fay,
        text: 'same µs two',
      })
      // The second found the key taken: its time moved on by one microsecond, nothing was overwritten.
      expect(one.item.sk).to.equal('2026-03-01T12:00:00.000000+00:00')
      expect(two.item.sk).to.equal('2026-03-01T12:00:00.000001+00:00')
      expect(two.message.createdAt).to.equal(two.item.sk)

      const read = async () =>
        (await getConversation(messagesTable, start.messageGroupUuid)).messages.map((m) => m.messageUuid)
      const first = await read()
      expect(first).to.deep.equal([two.message.messageUuid, one.message.messageUuid, start.message.messageUuid])
      expect(await read()).to.deep.equal(first)
      for (const owner of [users.eve, users.fay])
        expect((await rowsOf(owner, start.messageGroupUuid))[0]).to.include({
          last_message_sk: two.item.sk,
          message: two.message.text,
        })
    })

    it('paging with the cursor returns every message exactly once, newest to oldest', async () => {
      const start = await createMessage(messagesTable, {
        now: new Date('2025-06-01T00:00:00.000Z'),
        recipient: users.hal,
        sender: users.gus,
        text: 'm0',
      })
      const written = [start.item]
      for (let i = 1; i < 23; i++) {
        // Every third message shares the previous one's millisecond.
        const at = new Date(Date.parse('2025-06-01T00:00:00.000Z') + Math.floor(i - i / 3) * 1000)
        written.push(
          (
            await createMessage(messagesTable, {
              messageGroupUuid: start.messageGroupUuid,
              now: at,
              sender: i % 2 ? users.hal : users.gus,
              text: `m${i}`,
            })
          ).item,
        )
      }

      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const page = await getConversation(messagesTable, start.messageGroupUuid, {cursor, limit: 5})
        seen.push(...page.messages.map((m) => m.messageUuid))
        cursor = page.nextCursor ?? undefined
        pages++
      } while (cursor)
      const expected = written.sort((a, b) => (a.sk < b.sk ? 1 : -1)).map((item) => item.message_uuid)
      expect(seen).to.deep.equal(expected)
      expect(pages).to.equal(5)
    })

    it('paging returns every message exactly once when a page holds more than one 1 MB Query can read', async () => {
      // ~1.1 KB a message: a page of 1000 is over DynamoDB's 1 MB per Query, so one Query comes back short.
      const group = randomUUID()
      const base = Date.parse('2025-07-01T00:00:00.000Z')
      const written = Array.from({length: 1100}, (_, i) =>
        messageItem({
          createdAt: timestamp(new Date(base + i)),
          messageGroupUuid: group,
          messageUuid: randomUUID(),
          sender: users.gus,
          text: `${i} `.padEnd(1000, 'x'),
        }),
      )
      await batchWriteAll(ddb.doc, table, written as unknown as Array<Record<string, unknown>>)
      // The premise: a single Query for the page stops at 1 MB (DynamoDB Local enforces it too).
      const single = await ddb.doc.send(
        new QueryCommand({
          ExpressionAttributeValues: {':pk': written[0].pk},
          KeyConditionExpression: 'pk = :pk',
          Limit: 1001,
          ScanIndexForward: false,
          TableName: table,
        }),
      )
      expect(single.Items).to.have.length.below(1000)
      expect(single.LastEvaluatedKey).to.not.equal(undefined)

      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const page = await getConversation(messagesTable, group, {cursor, limit: 1000})
        seen.push(...page.messages.map((m) => m.messageUuid))
        cursor = page.nextCursor ?? undefined
        pages++
      } while (cursor && pages < 10)
      const expected = written.sort((a, b) => (a.sk < b.sk ? 1 : -1)).map((item) => item.message_uuid)
      expect(seen).to.deep.equal(expected)
      expect(pages).to.equal(2)
    })

    it('conversations and messages from a previous year are listed like any other', async () => {
      const old = await createMessage(messagesTable, {
        now: new Date('2019-12-31T23:59:59.999Z'),
        recipient: users.jon,
        sender: users.ida,
        text: 'happy new year',
      })
      const recent = await createMessage(messagesTable, {recipient: users.kim, sender: users.ida, text: 'this year'})
      const {conversations} = await listConversations(messagesTable, users.ida.uuid)
      expect(conversations.map((c) => c.messageGroupUuid)).to.deep.equal([
        recent.messageGroupUuid,
        old.messageGroupUuid,
      ])
      expect(conversations[1]).to.include({
        lastMessage: 'happy new year',
        lastMessageAt: '2019-12-31T23:59:59.999000+00:00',
      })
      const page = await getConversation(messagesTable, old.messageGroupUuid)
      expect(page.messages.map((m) => m.createdAt)).to.deep.equal(['2019-12-31T23:59:59.999000+00:00'])
    })

    it('lists conversations a page at a time with a cursor', async () => {
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await listConversations(messagesTable, users.ida.uuid, {cursor, limit: 1})
        expect(page.conversations.length).to.be.at.most(1)
        seen.push(...page.conversations.map((c) => c.messageGroupUuid))
        cursor = page.nextCursor ?? undefined
      } while (cursor)
      expect(seen).to.have.length(2)
      expect(new Set(seen).size).to.equal(2)
    })

    describe('Pattern D', () => {
      let group: string
      beforeEach(async () => {
        // A fresh pair each time: lea and a new partner would collide, so use lea with a throwaway user row pair.
        const partner: Participant = {
          displayName: 'Partner',
          handle: `partner_${randomUUID().slice(0, 6)}`,
          uuid: randomUUID(),
        }
        group = (
          await createMessage(messagesTable, {
            now: new Date('2024-01-01T00:00:00.000Z'),
            recipient: partner,
            sender: users.lea,
            text: 'start',
          })
        ).messageGroupUuid
      })

      it('is idempotent: applying a message twice changes nothing', async () => {
        const message = await putMessage(group, users.lea, new Date('2024-01-02T00:00:00.000Z'), 'newer')
        expect((await applyMessageToConversation(messagesTable, message)).updated).to.equal(2)
        const before = await rowsOf(users.lea, group)
        expect((await applyMessageToConversation(messagesTable, message)).updated).to.equal(0)
        expect(await rowsOf(users.lea, group)).to.deep.equal(before)
        expect(before[0]).to.include({last_message_sk: message.sk, message: 'newer'})
      })

      it('is order-safe: an older message applied after a newer one never moves the row back', async () => {
        const older = await putMessage(group, users.lea, new Date('2024-01-02T00:00:00.000Z'), 'older')
        const newer = await putMessage(group, users.lea, new Date('2024-01-03T00:00:00.000Z'), 'newer')
        await applyMessageToConversation(messagesTable, newer)
        const result = await applyMessageToConversation(messagesTable, older)
        expect(result.updated).to.equal(0)
        const rows = await rowsOf(users.lea, group)
        expect(rows).to.have.length(1)
        expect(rows[0]).to.include({
          last_message_sk: newer.sk,
          message: 'newer',
          sk: '2024-01-03T00:00:00.000000+00:00',
        })
      })

      it('is race-free: 20 concurrent applications end with one row per participant, holding the newest message', async () => {
        const base = Date.parse('2024-02-01T00:00:00.000Z')
        // Pairs of messages a microsecond apart, so the microseconds, not the milliseconds alone, must decide.
        const messages = await Promise.all(
          Array.from({length: 20}, (_, i) =>
            putMessage(group, users.lea, new Date(base + Math.floor(i / 2) * 1000), `race ${i}`, BigInt(i % 2)),
          ),
        )
        const newest = [...messages].sort((a, b) => (a.sk < b.sk ? 1 : -1))[0]
        const shuffled = [...messages].sort(() => Math.random() - 0.5)
        await Promise.all(shuffled.map((message) => applyMessageToConversation(messagesTable, message)))

        const rows = await rowsOf(users.lea, group)
        expect(rows).to.have.length(1)
        expect(rows[0]).to.include({last_message_sk: newest.sk, message: newest.message})
        const all = await ddb.doc.send(
          new QueryCommand({
            ExpressionAttributeValues: {':group': group},
            IndexName: 'message-group-sk-index',
            KeyConditionExpression: 'message_group_uuid = :group',
            TableName: table,
          }),
        )
        expect(all.Items).to.have.length(2)
        for (const row of all.Items as ConversationRowItem[]) expect(row.last_message_sk).to.equal(newest.sk)
      })

      describe('when the index lags behind the table (it is eventually consistent)', () => {
        it('a conversation whose rows the index does not show yet, or shows one of, is read from the table', async () => {
          const first = await putMessage(group, users.lea, new Date('2024-01-02T00:00:00.000Z'), 'not indexed yet')
          expect(
            (
              await applyMessageToConversation(
                lagging(() => []),
                first,
              )
            ).updated,
          ).to.equal(2)
          const second = await putMessage(group, users.lea, new Date('2024-01-03T00:00:00.000Z'), 'half indexed')
          expect(
            (
              await applyMessageToConversation(
                lagging((items) => items.slice(0, 1)),
                second,
              )
            ).updated,
          ).to.equal(2)
          expect((await rowsOf(users.lea, group))[0]).to.include({last_message_sk: second.sk, message: 'half indexed'})
        })

        it('an index still showing rows that were moved away is given up for the table after a few lost races', async () => {
          const stale = (
            await ddb.doc.send(
              new QueryCommand({
                ExpressionAttributeValues: {':group': group},
                IndexName: 'message-group-sk-index',
                KeyConditionExpression: 'message_group_uuid = :group',
                TableName: table,
              }),
            )
          ).Items as ConversationRowItem[]
          await applyMessageToConversation(
            messagesTable,
            await putMessage(group, users.lea, new Date('2024-01-02T00:00:00.000Z'), 'moved'),
          )
          const newer = await putMessage(group, users.lea, new Date('2024-01-03T00:00:00.000Z'), 'newer')
          expect(
            (
              await applyMessageToConversation(
                lagging(() => stale),
                newer,
              )
            ).updated,
          ).to.equal(2)
          expect((await rowsOf(users.lea, group))[0]).to.include({last_message_sk: newer.sk, message: 'newer'})
        })
      })

      it('update-message-group repairs rows a stream never updated, and then changes nothing', async () => {
        const missed = await putMessage(group, users.lea, new Date('2024-03-01T00:00:00.000Z'), 'missed by the stream')
        expect((await rowsOf(users.lea, group))[0].message).to.equal('start')
        const repaired = await updateMessageGroup(messagesTable, group)
        expect(repaired.updated).to.equal(2)
        expect(repaired.lastMessage.messageUuid).to.equal(missed.message_uuid)
        expect((await rowsOf(users.lea, group))[0]).to.include({
          last_message_sk: missed.sk,
          message: 'missed by the stream',
        })
        expect((await updateMessageGroup(messagesTable, group)).updated).to.equal(0)
      })
    })

    it('adds to an existing conversation whose rows the index does not show yet, reading them from the table', async () => {
      const partner: Participant = {
        displayName: 'Partner',
        handle: `partner_${randomUUID().slice(0, 6)}`,
        uuid: randomUUID(),
      }
      const started = await createMessage(messagesTable, {recipient: partner, sender: users.kim, text: 'first'})
      const added = await createMessage(
        lagging(() => []),
        {recipient: partner, sender: users.kim, text: 'second'},
      )
      expect(added.newConversation).to.equal(false)
      expect(added.messageGroupUuid).to.equal(started.messageGroupUuid)
    })

    it('adds to a seeded conversation (random id, rows without last_message_sk) instead of starting a second one', async () => {
      const group = randomUUID()
      const at = '2023-05-05T05:05:05.005Z'
      const seeded = messageItem({
        createdAt: at,
        messageGroupUuid: group,
        messageUuid: randomUUID(),
        sender: users.kim,
        text: 'seeded',
      })
      const rows = [
        conversationRow({
          lastMessage: 'seeded',
          lastMessageAt: at,
          messageGroupUuid: group,
          other: users.lea,
          owner: users.kim,
        }),
        conversationRow({
          lastMessage: 'seeded',
          lastMessageAt: at,
          messageGroupUuid: group,
          other: users.kim,
          owner: users.lea,
        }),
      ]
      for (const item of [seeded, ...rows]) await ddb.doc.send(new PutCommand({Item: item, TableName: table}))
      expect((await applyMessageToConversation(messagesTable, seeded)).updated).to.equal(0)

      const result = await createMessage(messagesTable, {
        recipient: users.kim,
        sender: users.lea,
        text: 'reply to seeded',
      })
      expect(result).to.include({messageGroupUuid: group, newConversation: false})
      const leaRows = await rowsOf(users.lea, group)
      expect(leaRows).to.have.length(1)
      expect(leaRows[0]).to.include({message: 'reply to seeded', last_message_sk: result.item.sk})
    })

    it('only participants post into or read a conversation, and a refusal writes nothing', async () => {
      const group = conversationUuidFor(users.ann.uuid, users.bob.uuid)
      const before = await itemCount()
      const posted = await rejection(
        createMessage(messagesTable, {messageGroupUuid: group, sender: users.cat, text: 'let me in'}),
      )
      expect(posted.code).to.equal('CONFLICT')
      expect(posted.message).to.include(users.cat.handle).and.include('not a participant')
      const read = await rejection(getConversation(messagesTable, group, {asUser: users.cat.uuid}))
      expect(read.code).to.equal('CONFLICT')
      expect((await getConversation(messagesTable, group, {asUser: users.ann.uuid})).messages).to.have.length(2)
      expect(await itemCount()).to.equal(before)
    })

    it('bad input is refused before anything is written', async () => {
      const group = conversationUuidFor(users.ann.uuid, users.bob.uuid)
      const before = await itemCount()
      const cases: Array<[Promise<unknown>, string, RegExp]> = [
        [
          createMessage(messagesTable, {messageGroupUuid: 'not-a-uuid', sender: users.ann, text: 'x'}),
          'INVALID_INPUT',
          /not a uuid/,
        ],
        [
          createMessage(messagesTable, {messageGroupUuid: randomUUID(), sender: users.ann, text: 'x'}),
          'NOT_FOUND',
          /No conversation/,
        ],
        [
          createMessage(messagesTable, {messageGroupUuid: group, sender: users.ann, text: '   '}),
          'INVALID_INPUT',
          /empty/,
        ],
        [
          createMessage(messagesTable, {
            messageGroupUuid: group,
            sender: users.ann,
            text: 'x'.repeat(MAX_MESSAGE_LENGTH + 1),
          }),
          'INVALID_INPUT',
          /limit is 1024/,
        ],
        [
          createMessage(messagesTable, {recipient: users.ann, sender: users.ann, text: 'me'}),
          'INVALID_INPUT',
          /themselves/,
        ],
        [
          createMessage(messagesTable, {messageGroupUuid: group, recipient: users.bob, sender: users.ann, text: 'x'}),
          'INVALID_INPUT',
          /not both/,
        ],
        [
          createMessage(messagesTable, {recipient: {...users.bob, uuid: 'bob'}, sender: users.ann, text: 'x'}),
          'INVALID_INPUT',
          /not a uuid/,
        ],
        [getConversation(messagesTable, randomUUID()), 'NOT_FOUND', /No conversation/],
        [getConversation(messagesTable, group, {cursor: 'not a cursor!'}), 'INVALID_INPUT', /cursor/],
        [updateMessageGroup(messagesTable, randomUUID()), 'NOT_FOUND', /No conversation/],
        [listConversations(messagesTable, 'nobody'), 'INVALID_INPUT', /not a uuid/],
      ]
      for (const [promise, code, message] of cases) {
        const error = await rejection(promise)
        expect(error.code, error.message).to.equal(code)
        expect(error.message).to.match(message)
      }

      // A cursor from another conversation is refused, not silently misused.
      const other = conversationUuidFor(users.cat.uuid, users.dan.uuid)
      const {nextCursor} = await getConversation(messagesTable, other, {limit: 1})
      expect(nextCursor).to.be.a('string')
      expect((await rejection(getConversation(messagesTable, group, {cursor: nextCursor!}))).code).to.equal(
        'INVALID_INPUT',
      )
      // The longest allowed message is accepted.
      expect(await itemCount()).to.equal(before)
      await createMessage(messagesTable, {
        messageGroupUuid: group,
        sender: users.ann,
        text: 'y'.repeat(MAX_MESSAGE_LENGTH),
      })
      expect(await itemCount()).to.equal(before + 1)
    })
  })

  describe('commands', () => {
    it('create-message --to starts a conversation; list-conversations and get-conversation show it', async () => {
      const created = await cliJson<{
        message: MessageJson
        messageGroupUuid: string
        newConversation: boolean
        target: {table: string}
      }>([
        'ddb',
        'patterns',
        'create-message',
        '--from',
        users.jon.handle,
        '--to',
        `@${users.kim.handle}`,
        'Lunch at noon?',
        ...flags,
      ])
      expect(created.code, created.stderr).to.equal(0)
      expect(created.json).to.include({
        messageGroupUuid: conversationUuidFor(users.jon.uuid, users.kim.uuid),
        newConversation: true,
      })
      expect(created.json.target.table).to.equal(table)
      expect(created.json.message).to.include({text: 'Lunch at noon?'})

      const listed = await cliJson<{conversations: ConversationJson[]; nextCursor: string | null}>([
        'ddb',
        'patterns',
        'list-conversations',
        users.kim.handle,
        ...flags,
      ])
      expect(listed.code).to.equal(0)
      expect(listed.json.nextCursor).to.equal(null)
      expect(listed.json.conversations[0]).to.deep.include({
        lastMessage: 'Lunch at noon?',
        messageGroupUuid: created.json.messageGroupUuid,
      })
      expect(listed.json.conversations[0].with.handle).to.equal(users.jon.handle)

      const human = await cli(['ddb', 'patterns', 'list-conversations', users.kim.handle, ...flags])
      expect(human.stdout)
        .to.include(users.jon.handle)
        .and.include('Lunch at noon?')
        .and.include(created.json.messageGroupUuid)

      const replied = await cli([
        'ddb',
        'patterns',
        'create-message',
        '--from',
        users.kim.handle,
        '--group',
        created.json.messageGroupUuid,
        'Sure.',
        ...flags,
      ])
      expect(replied.code, replied.stderr).to.equal(0)
      expect(replied.stdout).to.include('Sure.').and.include(created.json.messageGroupUuid)
      const read = await cli([
        'ddb',
        'patterns',
        'get-conversation',
        created.json.messageGroupUuid,
        '--as',
        users.jon.handle,
        ...flags,
      ])
      expect(read.code, read.stderr).to.equal(0)
      expect(read.stdout).to.include(`@${users.kim.handle}`).and.include('Sure.').and.include('Lunch at noon?')
      expect(read.stdout.indexOf('Sure.')).to.be.lessThan(read.stdout.indexOf('Lunch at noon?'))
    })

    it('get-conversation pages with --cursor, printing the next cursor on stderr', async () => {
      const group = conversationUuidFor(users.gus.uuid, users.hal.uuid)
      const first = await cli(['ddb', 'patterns', 'get-conversation', group, '--limit', '20', ...flags])
      expect(first.code).to.equal(0)
      const cursor = /--cursor (\S+)/.exec(first.stderr)?.[1]
      expect(cursor).to.be.a('string')
      const second = await cliJson<{messages: MessageJson[]; nextCursor: string | null; target: object}>([
        'ddb',
        'patterns',
        'get-conversation',
        group,
        '--limit',
        '20',
        '--cursor',
        cursor!,
        ...flags,
      ])
      expect(second.code).to.equal(0)
      expect(second.json.messages.map((m) => m.text).sort()).to.deep.equal(['m0', 'm1', 'm2'])
      expect(second.json.nextCursor).to.equal(null)
      expect(second.json).to.include.keys('messages', 'nextCursor', 'target')
    })

    it('update-message-group brings stale rows up to the newest message', async () => {
      const group = conversationUuidFor(users.jon.uuid, users.kim.uuid)
      const missed = await putMessage(group, users.jon, new Date(), 'the stream missed me')
      const {code, json} = await cliJson<{updated: number; lastMessage: MessageJson}>([
        'ddb',
        'patterns',
        'update-message-group',
        group,
        ...flags,
      ])
      expect(code).to.equal(0)
      expect(json.updated).to.equal(2)
      expect(json.lastMessage.messageUuid).to.equal(missed.message_uuid)
      const again = await cliJson<{updated: number}>(['ddb', 'patterns', 'update-message-group', group, ...flags])
      expect(again.json.updated).to.equal(0)
    })

    it('bad input gets one line, a non-zero exit, and writes nothing', async () => {
      const group = conversationUuidFor(users.ann.uuid, users.bob.uuid)
      const before = await itemCount()
      const send = (...args: string[]) => cli(['ddb', 'patterns', 'create-message', ...args, ...flags])
      const cases: Array<[Promise<Awaited<ReturnType<typeof cli>>>, number, string]> = [
        [send('--from', users.ann.handle, '--group', 'nope', 'hi'), 2, 'not a uuid'],
        [send('--from', users.ann.handle, '--group', randomUUID(), 'hi'), 4, 'No conversation'],
        [send('--from', users.ann.handle, '--to', `ghost_${suffix}`, 'hi'), 4, `@ghost_${suffix}`],
        [send('--from', users.ann.handle, '--to', users.bob.handle, ''), 2, 'empty'],
        [send('--from', users.ann.handle, '--to', users.bob.handle, 'z'.repeat(MAX_MESSAGE_LENGTH + 1)), 2, '1024'],
        [send('--from', users.ann.handle, '--to', users.ann.handle.toUpperCase(), 'hi me'), 2, 'themselves'],
        [send('--from', users.ann.handle, '--to', users.bob.handle, '--group', group, 'hi'), 2, '--group'],
        [send('--from', users.cat.handle, '--group', group, 'let me in'), 9, 'not a participant'],
        [
          cli(['ddb', 'patterns', 'get-conversation', group, '--as', users.cat.handle, ...flags]),
          9,
          'not a participant',
        ],
        [cli(['ddb', 'patterns', 'get-conversation', group, '--cursor', 'garbage!', ...flags]), 2, 'cursor'],
        [cli(['ddb', 'patterns', 'get-conversation', 'nope', ...flags]), 2, 'not a uuid'],
        [cli(['ddb', 'patterns', 'list-conversations', `ghost_${suffix}`, ...flags]), 4, `@ghost_${suffix}`],
        [cli(['ddb', 'patterns', 'update-message-group', randomUUID(), ...flags]), 4, 'No conversation'],
      ]
      for (const [run, exit, text] of cases) {
        const result = await run
        const lines = errorLines(result.stderr)
        expect(result.code, result.stderr).to.equal(exit)
        expect(lines, result.stderr).to.have.length(1)
        expect(lines[0]).to.include(text)
      }

      expect(await itemCount()).to.equal(before)
      const json = await cliJson<{error: {code: string}}>([
        'ddb',
        'patterns',
        'create-message',
        '--from',
        users.cat.handle,
        '--group',
        group,
        'hi',
        ...flags,
      ])
      expect(json.code).to.equal(9)
      expect(json.json.error.code).to.equal('CONFLICT')
    })
  })
})

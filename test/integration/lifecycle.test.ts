import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import pg from 'pg'
import {BatchWriteCommand, PutCommand, QueryCommand, ScanCommand, TransactWriteCommand} from '@aws-sdk/lib-dynamodb'
import {marshall} from '@aws-sdk/util-dynamodb'

import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {groupPk, messageItem, type MessageItem, type Participant, timestamp} from '../../src/lib/dynamodb/items.js'
import {
  type ConversationRowItem,
  createMessage,
  type CreateMessageResult,
} from '../../src/lib/dynamodb/patterns/index.js'
import {deleteConversation} from '../../src/lib/dynamodb/patterns/delete-conversation.js'
import {deleteMessage} from '../../src/lib/dynamodb/patterns/delete-message.js'
import {eraseUser} from '../../src/lib/dynamodb/patterns/erase-user.js'
import {loadSchema} from '../../src/lib/postgres/schema.js'
import {createStreamHandler} from '../../src/lib/stream/handler.js'
import type {StreamRecord} from '../../src/lib/stream/records.js'
import {testStack} from '../hooks.js'
import {createTestTable} from '../support/tables.js'
import {cli, cliJson, errorLines} from '../support/cli.js'
import {MessagesTable} from '../../src/lib/dynamodb/messages-table.js'

interface MessageJson {
  messageUuid: string
  text?: string
  deleted?: boolean
  sender: Participant
}

interface ConversationJson {
  messageGroupUuid: string
  lastMessage?: string
  lastMessageDeleted?: boolean
  with: Participant
}

describe('message lifecycle: delete, erase, idempotent sends, fresh caches', () => {
  const suffix = randomUUID().slice(0, 8)
  const table = `lifecycle-test-${suffix}`
  const names = [
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
  const users = {} as Record<(typeof names)[number], Participant>
  const flags = ['--table', table]
  let ddb: DynamoDbClients
  let messagesTable: MessagesTable
  let fresh: Awaited<ReturnType<typeof createTestTable>>
  let clock = Date.UTC(2026, 0, 1, 12, 0, 0)
  /** Strictly increasing message times: the tests decide which message is the newest. */
  const tick = () => new Date((clock += 1000))

  const send = (sender: Participant, to: Participant, text: string): Promise<CreateMessageResult> =>
    createMessage(messagesTable, {now: tick(), recipient: to, sender, text})

  async function scanAll(): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = []
    let startKey: Record<string, unknown> | undefined
    do {
      const page = await ddb.doc.send(
        new ScanCommand({ConsistentRead: true, ExclusiveStartKey: startKey, TableName: table}),
      )
      items.push(...(page.Items ?? []))
      startKey = page.LastEvaluatedKey
    } while (startKey)
    return items.sort((a, b) => `${a.pk}\0${a.sk}`.localeCompare(`${b.pk}\0${b.sk}`))
  }

  /** Both rows of a conversation, read from the base table (not the index). */
  async function rowsOf(messageGroupUuid: string, participants: Participant[]): Promise<ConversationRowItem[]> {
    const rows: ConversationRowItem[] = []
    for (const owner of participants) {
      const output = await ddb.doc.send(
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
  }

  async function messagesOf(messageGroupUuid: string): Promise<MessageItem[]> {
    const output = await ddb.doc.send(
      new QueryCommand({
        ConsistentRead: true,
        ExpressionAttributeValues: {':pk': `MSG#${messageGroupUuid}`},
        KeyConditionExpression: 'pk = :pk',
        ScanIndexForward: false,
        TableName: table,
      }),
    )
    return output.Items as MessageItem[]
  }

  /** A conversation of `a` and `b` with `count` messages, alternating senders, oldest first. */
  async function conversation(
    a: Participant,
    b: Participant,
    count: number,
  ): Promise<{group: string; sent: CreateMessageResult[]}> {
    const sent: CreateMessageResult[] = []
    for (let i = 0; i < count; i++)
      sent.push(await send(i % 2 ? b : a, i % 2 ? a : b, `${a.handle} and ${b.handle} #${i} ${randomUUID()}`))
    return {group: sent[0].messageGroupUuid, sent}
  }

  /** The same table, except that the `failAt`-th command of `kind` fails, as a crash there would. */
  function failingAt(kind: typeof BatchWriteCommand | typeof TransactWriteCommand, failAt: number): MessagesTable {
    let seen = 0
    const doc = new Proxy(ddb.doc, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver)
        return async (command: Parameters<typeof target.send>[0]) => {
          if (command instanceof kind && ++seen === failAt) throw new Error('injected failure: the process died here')
          return target.send(command)
        }
      },
    })
    return new MessagesTable({doc, name: table})
  }

  before(async () => {
    const pool = new pg.Pool({connectionString: testStack().databaseUrl})
    try {
      await loadSchema(pool)
      for (const name of names) {
        const handle = `${name}_${suffix}`
        const {rows} = await pool.query<{uuid: string}>(
          'INSERT INTO users (display_name, handle, email) VALUES ($1, $2, $3) RETURNING uuid',
          [`${name} Tester`, handle, `${handle}@example.com`],
        )
        users[name] = {displayName: `${name} Tester`, handle, uuid: rows[0].uuid}
      }
    } finally {
      await pool.end()
    }

    fresh = await createTestTable(table)
    ;({ddb, messagesTable} = fresh)
  })

  after(() => fresh.drop())

  describe('delete-message', () => {
    it('soft-deletes a middle message: a tombstone without text, shown as deleted, the rows untouched', async () => {
      const {group, sent} = await conversation(users.ann, users.bob, 3)
      const middle = sent[1].message
      const rowsBefore = await rowsOf(group, [users.ann, users.bob])
      const result = await cliJson<{hard: boolean; alreadyDeleted: boolean; rowsUpdated: number}>([
        'ddb',
        'patterns',
        'delete-message',
        group,
        middle.messageUuid,
        ...flags,
      ])
      expect(result.code, result.stderr).to.equal(0)
      expect(result.json).to.include({alreadyDeleted: false, hard: false, rowsUpdated: 0})

      const item = (await messagesOf(group)).find((m) => m.message_uuid === middle.messageUuid)!
      expect(item.deleted_at).to.be.a('string')
      expect(item).to.not.have.property('message')
      const page = await cliJson<{messages: MessageJson[]}>(['ddb', 'patterns', 'get-conversation', group, ...flags])
      const shown = page.json.messages.find((m) => m.messageUuid === middle.messageUuid)!
      expect(shown.deleted).to.equal(true)
      expect(shown).to.not.have.property('text')
      expect((await cli(['ddb', 'patterns', 'get-conversation', group, ...flags])).stdout)
        .to.include('(message deleted)')
        .and.not.include(middle.text!)
      expect(await rowsOf(group, [users.ann, users.bob])).to.deep.equal(rowsBefore)
    })

    it('soft-deletes the newest message: both rows show the deleted state instead of its text', async () => {
      const {group, sent} = await conversation(users.ann, users.cat, 3)
      const newest = sent[2].message
      const result = await cliJson<{rowsUpdated: number}>([
        'ddb',
        'patterns',
        'delete-message',
        group,
        newest.messageUuid,
        ...flags,
      ])
      expect(result.json.rowsUpdated).to.equal(2)
      for (const row of await rowsOf(group, [users.ann, users.cat])) {
        expect(row.deleted_at).to.be.a('string')
        expect(row).to.not.have.property('message')
      }

      for (const reader of [users.ann, users.cat]) {
        const list = await cliJson<{conversations: ConversationJson[]}>([
          'ddb',
          'patterns',
          'list-conversations',
          reader.handle,
          ...flags,
        ])
        const shown = list.json.conversations.find((c) => c.messageGroupUuid === group)!
        expect(shown.lastMessageDeleted).to.equal(true)
        expect(shown).to.not.have.property('lastMessage')
      }
    })

    it('hard-deletes the newest message: the item goes and both rows move back to the newest remaining message', async () => {
      const {group, sent} = await conversation(users.ann, users.dan, 3)
      const result = await cliJson<{rowsUpdated: number; hard: boolean}>([
        'ddb',
        'patterns',
        'delete-message',
        group,
        sent[2].message.messageUuid,
        '--hard',
        ...flags,
      ])
      expect(result.json).to.include({hard: true, rowsUpdated: 2})
      const messages = await messagesOf(group)
      expect(messages.map((m) => m.message_uuid)).to.deep.equal([
        sent[1].message.messageUuid,
        sent[0].message.messageUuid,
      ])
      const rows = await rowsOf(group, [users.ann, users.dan])
      expect(rows).to.have.length(2)
      for (const row of rows) expect(row).to.include({last_message_sk: sent[1].item.sk, message: sent[1].message.text})
    })

    it('hard-deletes a middle message: the item goes, the rows stay', async () => {
      const {group, sent} = await conversation(users.ann, users.eve, 3)
      const rowsBefore = await rowsOf(group, [users.ann, users.eve])
      const result = await cliJson<{rowsUpdated: number}>([
        'ddb',
        'patterns',
        'delete-message',
        group,
        sent[1].message.messageUuid,
        '--hard',
        ...flags,
      ])
      expect(result.json.rowsUpdated).to.equal(0)
      expect((await messagesOf(group)).map((m) => m.message_uuid)).to.not.include(sent[1].message.messageUuid)
      expect(await rowsOf(group, [users.ann, users.eve])).to.deep.equal(rowsBefore)
    })

    it('deleting twice changes nothing the second time (soft: exit 0, alreadyDeleted; hard: the message is gone, exit 4)', async () => {
      const {group, sent} = await conversation(users.bob, users.cat, 2)
      const id = sent[1].message.messageUuid
      await cliJson(['ddb', 'patterns', 'delete-message', group, id, ...flags])
      const before = await scanAll()
      const again = await cliJson<{alreadyDeleted: boolean}>(['ddb', 'patterns', 'delete-message', group, id, ...flags])
      expect(again.code).to.equal(0)
      expect(again.json.alreadyDeleted).to.equal(true)
      expect(await scanAll()).to.deep.equal(before)

      await cli(['ddb', 'patterns', 'delete-message', group, id, '--hard', ...flags])
      const afterHard = await scanAll()
      const hardAgain = await cli(['ddb', 'patterns', 'delete-message', group, id, '--hard', ...flags])
      expect(hardAgain.code).to.equal(4)
      expect(errorLines(hardAgain.stderr)).to.have.length(1)
      expect(await scanAll()).to.deep.equal(afterHard)
    })

    it('hard-deleting the last message removes the conversation rows and its marker', async () => {
      const {group, sent} = await conversation(users.bob, users.dan, 1)
      const result = await cliJson<{conversationRemoved: boolean}>([
        'ddb',
        'patterns',
        'delete-message',
        group,
        sent[0].message.messageUuid,
        '--hard',
        ...flags,
      ])
      expect(result.json.conversationRemoved).to.equal(true)
      const left = (await scanAll()).filter(
        (item) => item.message_group_uuid === group || String(item.pk).includes(group),
      )
      expect(left).to.deep.equal([])
    })

    it('a delete racing 20 concurrent sends leaves two rows at the true newest remaining message', async () => {
      const {group, sent} = await conversation(users.cat, users.dan, 3)
      const newest = sent[2].message.messageUuid
      const sends = Array.from({length: 20}, (_, i) =>
        createMessage(messagesTable, {
          messageGroupUuid: group,
          sender: i % 2 ? users.cat : users.dan,
          text: `racing ${i}`,
        }),
      )
      const deleting = deleteMessage(messagesTable, {hard: true, messageGroupUuid: group, messageUuid: newest})
      await Promise.all([...sends, deleting])
      const messages = await messagesOf(group)
      expect(messages.map((m) => m.message_uuid)).to.not.include(newest)
      const rows = await rowsOf(group, [users.cat, users.dan])
      expect(rows).to.have.length(2)
      for (const row of rows) expect(row).to.include({last_message_sk: messages[0].sk, message: messages[0].message})
    })

    it('bad input is one line with its exit code, and nothing is written', async () => {
      const {group, sent} = await conversation(users.eve, users.fay, 2)
      const other = await conversation(users.eve, users.gus, 1)
      const before = await scanAll()
      const cases: Array<[string[], number, string]> = [
        [[group, randomUUID()], 4, 'No message'],
        [[group, other.sent[0].message.messageUuid], 4, 'No message'],
        [[group, sent[0].message.messageUuid, '--as', users.fay.handle], 9, 'did not send'],
        [[group, 'not-a-uuid'], 2, 'not a uuid'],
      ]
      for (const [args, code, says] of cases) {
        const result = await cli(['ddb', 'patterns', 'delete-message', ...args, ...flags])
        expect(result.code, result.stderr).to.equal(code)
        const lines = errorLines(result.stderr)
        expect(lines).to.have.length(1)
        expect(lines[0]).to.include(says)
      }

      expect(await scanAll()).to.deep.equal(before)
      const bySender = await cliJson([
        'ddb',
        'patterns',
        'delete-message',
        group,
        sent[0].message.messageUuid,
        '--as',
        users.eve.handle,
        ...flags,
      ])
      expect(bySender.code, bySender.stderr).to.equal(0)
    })

    it('the stream handler does not undo a delete: a late INSERT of a removed message, a REMOVE and a tombstone MODIFY change nothing', async () => {
      const {group, sent} = await conversation(users.fay, users.gus, 3)
      await deleteMessage(messagesTable, {
        hard: true,
        messageGroupUuid: group,
        messageUuid: sent[2].message.messageUuid,
      })
      await deleteMessage(messagesTable, {messageGroupUuid: group, messageUuid: sent[1].message.messageUuid})
      const before = await scanAll()
      let sequence = 5000
      const record = (eventName: StreamRecord['eventName'], item: MessageItem): StreamRecord => ({
        awsRegion: 'us-east-1',
        dynamodb: {
          Keys: marshall({pk: item.pk, sk: item.sk}),
          NewImage: marshall(item, {removeUndefinedValues: true}),
          SequenceNumber: String(sequence++).padStart(21, '0'),
          StreamViewType: 'NEW_IMAGE',
        },
        eventName,
        eventSource: 'aws:dynamodb',
      })
      const tombstone = {
        ...sent[1].item,
        deleted_at: new Date().toISOString(),
        message: undefined,
      } as unknown as MessageItem
      const handler = createStreamHandler({log: () => {}, table: messagesTable})
      const outcome = await handler({
        Records: [
          record('INSERT', sent[2].item),
          record('INSERT', sent[1].item),
          record('REMOVE', sent[2].item),
          record('MODIFY', tombstone),
        ],
      })
      expect(outcome.batchItemFailures).to.deep.equal([])
      expect(await scanAll()).to.deep.equal(before)
    })
  })

  describe('delete-conversation', () => {
    it('deletes every message, both rows and the marker; interrupted half-way, a rerun finishes', async () => {
      const {group} = await conversation(users.gus, users.hal, 2)
      // Enough messages for several batches.
      for (let i = 0; i < 60; i++) {
        const item = messageItem({
          createdAt: timestamp(new Date(Date.UTC(2025, 0, 1, 0, 0, i))),
          messageGroupUuid: group,
          messageUuid: randomUUID(),
          sender: users.gus,
          text: `old ${i}`,
        })
        await ddb.doc.send(new PutCommand({Item: item, TableName: table}))
      }

      let failure: unknown
      try {
        await deleteConversation(failingAt(BatchWriteCommand, 2), group)
      } catch (error) {
        failure = error
      }

      expect(String(failure)).to.include('injected failure')
      expect((await messagesOf(group)).length).to.be.above(0)
      expect(await rowsOf(group, [users.gus, users.hal])).to.have.length(2)

      const rerun = await cliJson<{messagesDeleted: number; rowsDeleted: number; markerDeleted: boolean}>([
        'ddb',
        'patterns',
        'delete-conversation',
        group,
        ...flags,
      ])
      expect(rerun.code, rerun.stderr).to.equal(0)
      expect(rerun.json).to.include({markerDeleted: true, rowsDeleted: 2})
      const left = (await scanAll()).filter(
        (item) => item.message_group_uuid === group || String(item.pk).includes(group),
      )
      expect(left).to.deep.equal([])
      const again = await cli(['ddb', 'patterns', 'delete-conversation', group, ...flags])
      expect(again.code).to.equal(4)
    })
  })

  describe('erase-user', () => {
    it("erases the user's text everywhere, brings both participants' rows up to date, and reports it", async () => {
      const secret = (n: number) => `ida-secret-${suffix}-${n}`
      const [jon, kim, lea] = [users.jon, users.kim, users.lea]
      // With jon, ida sent the newest; with kim, a middle one; with lea, every message.
      await send(jon, users.ida, 'jon first')
      await send(users.ida, jon, secret(1))
      await send(users.ida, kim, secret(2))
      const kimLast = await send(kim, users.ida, 'kim last')
      await send(users.ida, lea, secret(3))
      await send(users.ida, lea, secret(4))

      const before = await scanAll()
      const dry = await cliJson<{messages: number; dryRun: boolean}>([
        'ddb',
        'patterns',
        'erase-user',
        users.ida.handle,
        '--dry-run',
        ...flags,
      ])
      expect(dry.json).to.include({dryRun: true, messages: 4})
      expect(await scanAll()).to.deep.equal(before)

      const result = await cliJson<{
        messages: number
        rowsUpdated: number
        conversationsSeen: number
        conversations: unknown[]
        postgres: string
      }>(['ddb', 'patterns', 'erase-user', users.ida.handle, ...flags])
      expect(result.code, result.stderr).to.equal(0)
      expect(result.json).to.include({conversationsSeen: 3, messages: 4, postgres: 'untouched', rowsUpdated: 4})
      expect(result.json.conversations).to.have.length(3)
      expect((await cli(['ddb', 'patterns', 'erase-user', users.ida.handle, ...flags])).stderr).to.include(
        'PostgreSQL row was not touched',
      )

      const seenBy = async (reader: Participant) =>
        (
          await cliJson<{conversations: ConversationJson[]}>([
            'ddb',
            'patterns',
            'list-conversations',
            reader.handle,
            ...flags,
          ])
        ).json.conversations.find((c) => c.with.uuid === users.ida.uuid)!
      expect(await seenBy(jon)).to.include({lastMessageDeleted: true})
      expect(await seenBy(kim)).to.include({lastMessage: kimLast.message.text})
      expect(await seenBy(lea)).to.include({lastMessageDeleted: true})
      const everything = JSON.stringify(await scanAll())
      for (let n = 1; n <= 4; n++) expect(everything).to.not.include(secret(n))
    })

    it('--hard removes the messages, resumes after a crash, and removes conversations that had only theirs', async () => {
      const secret = (n: number) => `max-secret-${suffix}-${n}`
      await send(users.ned, users.max, 'ned first')
      for (let n = 1; n <= 3; n++) await send(users.max, users.ned, secret(n))
      const onlyMax = await send(users.max, users.lea, secret(4))

      let failure: unknown
      try {
        await eraseUser(failingAt(TransactWriteCommand, 2), users.max, {hard: true})
      } catch (error) {
        failure = error
      }

      expect(String(failure)).to.include('injected failure')
      const rerun = await cliJson<{messages: number}>([
        'ddb',
        'patterns',
        'erase-user',
        users.max.handle,
        '--hard',
        ...flags,
      ])
      expect(rerun.code, rerun.stderr).to.equal(0)
      expect(rerun.json.messages).to.equal(3)
      const everything = await scanAll()
      for (let n = 1; n <= 4; n++) expect(JSON.stringify(everything)).to.not.include(secret(n))
      expect(everything.filter((item) => item.message_group_uuid === onlyMax.messageGroupUuid)).to.deep.equal([])
      const ned = await cliJson<{conversations: ConversationJson[]}>([
        'ddb',
        'patterns',
        'list-conversations',
        users.ned.handle,
        ...flags,
      ])
      expect(ned.json.conversations.find((c) => c.with.uuid === users.max.uuid)).to.include({lastMessage: 'ned first'})
    })

    it('on --prod without a terminal it asks for --yes (exit 7), writing nothing', async () => {
      const result = await cli(
        [
          'ddb',
          'patterns',
          'erase-user',
          users.ann.handle,
          '--prod',
          '--region',
          'us-east-1',
          '--database-url',
          testStack().databaseUrl,
          ...flags,
        ],
        {env: {AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y'}},
      )
      expect(result.code, result.stderr).to.equal(7)
      expect(errorLines(result.stderr)).to.have.length(1)
    })
  })

  describe('idempotent sends', () => {
    it('a retried send with the same key returns the first message (duplicate: true) and writes nothing', async () => {
      const args = [
        'ddb',
        'patterns',
        'create-message',
        '--from',
        users.hal.handle,
        '--to',
        users.ida.handle,
        '--idempotency-key',
        `ci-${suffix}`,
        'Deployed.',
        ...flags,
      ]
      const first = await cliJson<{duplicate: boolean; message: MessageJson; messageGroupUuid: string}>(args)
      expect(first.code, first.stderr).to.equal(0)
      expect(first.json.duplicate).to.equal(false)
      const before = await scanAll()
      const retry = await cliJson<{duplicate: boolean; message: MessageJson}>(args)
      expect(retry.json.duplicate).to.equal(true)
      expect(retry.json.message.messageUuid).to.equal(first.json.message.messageUuid)
      expect(await scanAll()).to.deep.equal(before)
      expect((await cli(args)).stderr).to.include('Already sent with this idempotency key')
      const plain = await cliJson<{duplicate: boolean}>(args.filter((_, i) => i !== 7 && i !== 8))
      expect(plain.code, plain.stderr).to.equal(0)
      expect(plain.json.duplicate).to.equal(false)
      expect((await messagesOf(first.json.messageGroupUuid)).filter((m) => m.message === 'Deployed.')).to.have.length(2)
    })

    it('10 concurrent sends with one key store one message, into a new conversation and into an existing one', async () => {
      for (const [sender, recipient] of [
        [users.jon, users.lea],
        [users.jon, users.lea],
      ] as const) {
        const key = `concurrent-${randomUUID()}`
        const results = await Promise.all(
          Array.from({length: 10}, () =>
            createMessage(messagesTable, {idempotencyKey: key, recipient, sender, text: 'once'}),
          ),
        )
        expect(new Set(results.map((r) => r.message.messageUuid)).size).to.equal(1)
        expect(results.filter((r) => !r.duplicate)).to.have.length(1)
        const stored = (await messagesOf(results[0].messageGroupUuid)).filter(
          (m) => m.message_uuid === results[0].message.messageUuid,
        )
        expect(stored).to.have.length(1)
      }
    })
  })

  describe('caches stay fresh after every write', () => {
    it('after each write path, a read through the cache equals a read from DynamoDB', async function () {
      this.timeout(600_000) // some 40 commands
      const [a, b] = [users.kim, users.ned]
      const {group, sent} = await conversation(a, b, 3)
      const pages = async (cache: '--cache' | '--no-cache') => {
        const lists = await Promise.all(
          [a, b].map(
            async (user) =>
              (
                await cliJson<{conversations: unknown}>([
                  'ddb',
                  'patterns',
                  'list-conversations',
                  user.handle,
                  cache,
                  ...flags,
                ])
              ).json.conversations,
          ),
        )
        const page = (
          await cliJson<{messages?: unknown; error?: {code: string}}>([
            'ddb',
            'patterns',
            'get-conversation',
            group,
            cache,
            ...flags,
          ])
        ).json
        return {lists, messages: page.messages ?? page.error?.code}
      }

      const writes: Array<[string, string[]]> = [
        ['create-message', ['create-message', '--from', a.handle, '--group', group, 'fresh message']],
        ['delete-message', ['delete-message', group, sent[1].message.messageUuid]],
        ['erase-user', ['erase-user', b.handle]],
        ['update-message-group', ['update-message-group', group]],
        ['delete-conversation', ['delete-conversation', group]],
      ]
      for (const [name, args] of writes) {
        await pages('--cache') // the pages are cached now
        if (name === 'update-message-group') {
          // Rows left stale, as after a stream outage: the repair moves them and must refresh the cache.
          await ddb.doc.send(
            new PutCommand({
              Item: messageItem({
                createdAt: timestamp(tick()),
                messageGroupUuid: group,
                messageUuid: randomUUID(),
                sender: a,
                text: 'written without Pattern D',
              }),
              TableName: table,
            }),
          )
          await pages('--cache')
        }

        const write = await cli(['ddb', 'patterns', ...args, '--cache', ...flags])
        expect(write.code, `${name}: ${write.stderr}`).to.equal(0)
        expect(await pages('--cache'), name).to.deep.equal(await pages('--no-cache'))
      }
    })

    it('momento flush empties the cache (asking first), and momento set stores a value', async () => {
      const key = `flush-test-${suffix}`
      const set = await cliJson<{ttlSeconds: number}>(['momento', 'set', key, 'hello', '--ttl', '60'])
      expect(set.code, set.stderr).to.equal(0)
      expect(set.json.ttlSeconds).to.equal(60)
      const cached = async () => (await cliJson<{hit: boolean; value: unknown}>(['momento', 'get', key])).json
      expect(await cached()).to.deep.include({hit: true, value: 'hello'})
      const refused = await cli(['momento', 'flush'])
      expect(refused.code).to.equal(7)
      expect(errorLines(refused.stderr)).to.have.length(1)
      expect(await cached()).to.deep.include({hit: true})
      const flushed = await cliJson<{flushed: boolean}>(['momento', 'flush', '--yes'])
      expect(flushed.json.flushed).to.equal(true)
      expect(await cached()).to.deep.include({hit: false})
    })
  })
})

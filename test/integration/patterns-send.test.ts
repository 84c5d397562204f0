/** Pattern C, sending a message: starting a conversation or adding to one, from the library and the binary. */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {PutCommand} from '@aws-sdk/lib-dynamodb'

import type {CreateMessageResult} from '../../src/commands/ddb/patterns/create-message.js'
import type {ListConversationsResult} from '../../src/commands/ddb/patterns/list-conversations.js'
import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {conversationRow, messageItem, type Participant} from '../../src/lib/dynamodb/items.js'
import {type MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {
  applyMessageToConversation,
  conversationUuidFor,
  createMessage,
  getConversation,
  listConversations,
} from '../../src/lib/dynamodb/patterns/index.js'
import {uuidV5} from '../../src/lib/dynamodb/patterns/conversation-uuid.js'
import {cli, cliJson, errorLines} from '../support/cli.js'
import {usePatternsTable} from '../support/patterns.js'

describe('cruddur ddb patterns', () => {
  const patterns = usePatternsTable()
  const {users, table, flags, rowsOf, lagging} = patterns
  let ddb: DynamoDbClients
  let messagesTable: MessagesTable
  before(() => ({ddb, messagesTable} = patterns))

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

    it(
      'starting a conversation writes its two rows and first message together, ' + 'each row showing the other person',
      async () => {
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
      },
    )

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

    it(
      'two messages written in the same microsecond are both kept, in a stable order, ' +
        'the second a microsecond later',
      async () => {
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
      },
    )

    it(
      'adds to an existing conversation whose rows the index does not show yet, ' + 'reading them from the table',
      async () => {
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
      },
    )

    it(
      'adds to a seeded conversation (random id, rows without last_message_sk) ' + 'instead of starting a second one',
      async () => {
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
      },
    )
  })

  describe('commands', () => {
    it('create-message names every unknown handle in one line (exit 4) and refuses an empty one (exit 2)', async () => {
      const send = (from: string, to: string) =>
        cli(['ddb', 'patterns', 'create-message', '--from', from, '--to', to, 'hi', ...flags])
      const unknown = await send('nobody_a', '@nobody_b')
      expect(unknown.code).to.equal(4)
      const unknownLines = errorLines(unknown.stderr)
      expect(unknownLines).to.have.length(1)
      expect(unknownLines[0]).to.include(
        'No user with handle @nobody_a, @nobody_b: check the spelling, or create the users with `cruddur db setup`.',
      )

      const empty = await send(users.jon.handle, '@')
      expect(empty.code).to.equal(2)
      const emptyLines = errorLines(empty.stderr)
      expect(emptyLines).to.have.length(1)
      expect(emptyLines[0]).to.include('The handle is empty: pass a user handle such as andrewbrown.')
    })

    it('create-message --to starts a conversation; list-conversations and get-conversation show it', async () => {
      const created = await cliJson<CreateMessageResult>([
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

      const listed = await cliJson<ListConversationsResult>([
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
  })
})

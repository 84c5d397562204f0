/** Pattern D, refreshing a conversation's rows to its newest message: idempotent, order-safe, race-free. */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {QueryCommand} from '@aws-sdk/lib-dynamodb'

import type {UpdateMessageGroupResult} from '../../src/commands/ddb/patterns/update-message-group.js'
import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {type Participant} from '../../src/lib/dynamodb/items.js'
import {type MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {
  applyMessageToConversation,
  conversationUuidFor,
  type ConversationRowItem,
  createMessage,
  updateMessageGroup,
} from '../../src/lib/dynamodb/patterns/index.js'
import {cliJson} from '../support/cli.js'
import {usePatternsTable} from '../support/patterns.js'

describe('cruddur ddb patterns', () => {
  const patterns = usePatternsTable()
  const {users, table, flags, rowsOf, lagging, putMessage} = patterns
  let ddb: DynamoDbClients
  let messagesTable: MessagesTable
  before(() => ({ddb, messagesTable} = patterns))

  describe('library', () => {
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

      it(
        'is race-free: 20 concurrent applications end with one row per participant, ' + 'holding the newest message',
        async () => {
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
        },
      )

      describe('when the index lags behind the table (it is eventually consistent)', () => {
        it(
          'a conversation whose rows the index does not show yet, ' + 'or shows one of, is read from the table',
          async () => {
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
            expect((await rowsOf(users.lea, group))[0]).to.include({
              last_message_sk: second.sk,
              message: 'half indexed',
            })
          },
        )

        it(
          'an index still showing rows that were moved away ' + 'is given up for the table after a few lost races',
          async () => {
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
          },
        )
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
  })

  describe('commands', () => {
    // A conversation of jon's and kim's, its rows at its one message.
    before(() =>
      createMessage(messagesTable, {
        now: new Date(Date.now() - 60_000),
        recipient: users.kim,
        sender: users.jon,
        text: 'hi',
      }),
    )

    it('update-message-group brings stale rows up to the newest message', async () => {
      const group = conversationUuidFor(users.jon.uuid, users.kim.uuid)
      const missed = await putMessage(group, users.jon, new Date(), 'the stream missed me')
      const {code, json} = await cliJson<UpdateMessageGroupResult>([
        'ddb',
        'patterns',
        'update-message-group',
        group,
        ...flags,
      ])
      expect(code).to.equal(0)
      expect(json.updated).to.equal(2)
      expect(json.lastMessage.messageUuid).to.equal(missed.message_uuid)
      const again = await cliJson<UpdateMessageGroupResult>([
        'ddb',
        'patterns',
        'update-message-group',
        group,
        ...flags,
      ])
      expect(again.json.updated).to.equal(0)
    })
  })
})

/** Pattern A, reading a conversation: a page of messages at a time, newest first. */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {QueryCommand} from '@aws-sdk/lib-dynamodb'

import type {GetConversationResult} from '../../src/commands/ddb/patterns/get-conversation.js'
import {batchWriteAll} from '../../src/lib/dynamodb/batch-write.js'
import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {messageItem, timestamp} from '../../src/lib/dynamodb/items.js'
import {type MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {conversationUuidFor, createMessage, getConversation} from '../../src/lib/dynamodb/patterns/index.js'
import {cli, cliJson} from '../support/cli.js'
import {usePatternsTable} from '../support/patterns.js'

describe('cruddur ddb patterns', () => {
  const patterns = usePatternsTable()
  const {users, table, flags} = patterns
  let ddb: DynamoDbClients
  let messagesTable: MessagesTable
  before(() => ({ddb, messagesTable} = patterns))

  describe('library', () => {
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
      await batchWriteAll(messagesTable, written as unknown as Array<Record<string, unknown>>)
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
  })

  describe('commands', () => {
    it('get-conversation pages with --cursor, printing the next cursor on stderr', async () => {
      const group = conversationUuidFor(users.gus.uuid, users.hal.uuid)
      const first = await cli(['ddb', 'patterns', 'get-conversation', group, '--limit', '20', ...flags])
      expect(first.code).to.equal(0)
      const cursor = /--cursor (\S+)/.exec(first.stderr)?.[1]
      expect(cursor).to.be.a('string')
      const second = await cliJson<GetConversationResult>([
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
  })
})

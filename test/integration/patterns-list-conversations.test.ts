/** Pattern B, listing a user's conversations: newest first, a page at a time. */
import {expect} from 'chai'

import {type MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {createMessage, getConversation, listConversations} from '../../src/lib/dynamodb/patterns/index.js'
import {usePatternsTable} from '../support/patterns.js'

describe('cruddur ddb patterns', () => {
  const patterns = usePatternsTable()
  const {users} = patterns
  let messagesTable: MessagesTable
  before(() => ({messagesTable} = patterns))

  describe('library', () => {
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
  })
})

/** delete-message: soft and hard deletes, and what the rows and the stream make of them. */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'

import type {DeleteMessageResult} from '../../src/commands/ddb/patterns/delete-message.js'
import type {GetConversationResult} from '../../src/commands/ddb/patterns/get-conversation.js'
import type {ListConversationsResult} from '../../src/commands/ddb/patterns/list-conversations.js'
import {DELETED_MESSAGE_TEXT, type MessageItem, type Participant} from '../../src/lib/dynamodb/items.js'
import {createMessage} from '../../src/lib/dynamodb/patterns/index.js'
import {deleteMessage} from '../../src/lib/dynamodb/patterns/delete-message.js'
import {createStreamHandler} from '../../src/lib/stream/handler.js'
import {cli, cliJson, errorLines} from '../support/cli.js'
import {type MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {useLifecycleTable} from '../support/lifecycle.js'
import {streamRecord} from '../support/stream.js'

describe('message lifecycle: delete, erase, idempotent sends, fresh caches', () => {
  const lifecycle = useLifecycleTable()
  const {users, flags, scanAll, conversationRows, messagesOf, conversation, send} = lifecycle
  /** The conversation as `reader`'s list shows it. */
  const listedFor = async (reader: Participant, group: string) =>
    (
      await cliJson<ListConversationsResult>(['ddb', 'patterns', 'list-conversations', reader.handle, ...flags])
    ).json.conversations.find((c) => c.messageGroupUuid === group)!
  let messagesTable: MessagesTable
  before(() => ({messagesTable} = lifecycle))

  /**
   * Every message and row of the conversation as the Cruddur app reads it (`item['message']['S']` on each, as
   * its course Lambda does on each record): a string, and none holds a deleted text.
   */
  async function expectReadableByTheApp(group: string, participants: Participant[], deletedTexts: string[]) {
    const items = [...(await messagesOf(group)), ...(await conversationRows(group, participants))]
    expect(items.filter((item) => item.pk.startsWith('GRP#'))).to.have.length(2)
    for (const item of items) {
      expect(item.message, `${item.pk} ${item.sk}`).to.be.a('string')
      expect(deletedTexts, `${item.pk} ${item.sk}`).to.not.include(item.message)
    }
  }

  describe('delete-message', () => {
    it('soft-deletes a middle message: a tombstone with the deleted text, shown deleted, rows untouched', async () => {
      const {group, sent} = await conversation(users.ann, users.bob, 3)
      const middle = sent[1].message
      const rowsBefore = await conversationRows(group, [users.ann, users.bob])
      const result = await cliJson<DeleteMessageResult>([
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
      expect(item.message).to.equal(DELETED_MESSAGE_TEXT)
      await expectReadableByTheApp(group, [users.ann, users.bob], [middle.text!])
      const page = await cliJson<GetConversationResult>(['ddb', 'patterns', 'get-conversation', group, ...flags])
      const shown = page.json.messages.find((m) => m.messageUuid === middle.messageUuid)!
      expect(shown.deleted).to.equal(true)
      expect(shown).to.not.have.property('text')
      expect((await cli(['ddb', 'patterns', 'get-conversation', group, ...flags])).stdout)
        .to.include('(message deleted)')
        .and.not.include(middle.text!)
      expect(await conversationRows(group, [users.ann, users.bob])).to.deep.equal(rowsBefore)
    })

    it('soft-deletes the newest message: both rows show the deleted state and text instead of its text', async () => {
      const {group, sent} = await conversation(users.ann, users.cat, 3)
      const newest = sent[2].message
      const result = await cliJson<DeleteMessageResult>([
        'ddb',
        'patterns',
        'delete-message',
        group,
        newest.messageUuid,
        ...flags,
      ])
      expect(result.json.rowsUpdated).to.equal(2)
      for (const row of await conversationRows(group, [users.ann, users.cat])) {
        expect(row.deleted_at).to.be.a('string')
        expect(row.message).to.equal(DELETED_MESSAGE_TEXT)
      }

      await expectReadableByTheApp(group, [users.ann, users.cat], [newest.text!])
      const page = await cliJson<GetConversationResult>(['ddb', 'patterns', 'get-conversation', group, ...flags])
      expect(page.json.messages.find((m) => m.messageUuid === newest.messageUuid)).to.include({deleted: true})

      for (const reader of [users.ann, users.cat]) {
        const shown = await listedFor(reader, group)
        expect(shown.lastMessageDeleted).to.equal(true)
        expect(shown).to.not.have.property('lastMessage')
      }
    })

    it('a message that really says "(message deleted)" is shown as a message, not as deleted', async () => {
      const {group} = await conversation(users.hal, users.ida, 1)
      const said = await send(users.ida, users.hal, DELETED_MESSAGE_TEXT)
      const page = await cliJson<GetConversationResult>(['ddb', 'patterns', 'get-conversation', group, ...flags])
      const shown = page.json.messages.find((m) => m.messageUuid === said.message.messageUuid)!
      expect(shown).to.include({text: DELETED_MESSAGE_TEXT})
      expect(shown).to.not.have.property('deleted')
      for (const reader of [users.hal, users.ida]) {
        const row = await listedFor(reader, group)
        expect(row).to.include({lastMessage: DELETED_MESSAGE_TEXT})
        expect(row).to.not.have.property('lastMessageDeleted')
      }
    })

    it(
      'hard-deletes the newest message: ' + 'the item goes and both rows move back to the newest remaining message',
      async () => {
        const {group, sent} = await conversation(users.ann, users.dan, 3)
        const result = await cliJson<DeleteMessageResult>([
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
        const rows = await conversationRows(group, [users.ann, users.dan])
        expect(rows).to.have.length(2)
        for (const row of rows)
          expect(row).to.include({last_message_sk: sent[1].item.sk, message: sent[1].message.text})
      },
    )

    it('hard-deletes a middle message: the item goes, the rows stay', async () => {
      const {group, sent} = await conversation(users.ann, users.eve, 3)
      const rowsBefore = await conversationRows(group, [users.ann, users.eve])
      const result = await cliJson<DeleteMessageResult>([
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
      expect(await conversationRows(group, [users.ann, users.eve])).to.deep.equal(rowsBefore)
    })

    it(
      'deleting twice changes nothing the second time ' +
        '(soft: exit 0, alreadyDeleted; hard: the message is gone, exit 4)',
      async () => {
        const {group, sent} = await conversation(users.bob, users.cat, 2)
        const id = sent[1].message.messageUuid
        await cliJson(['ddb', 'patterns', 'delete-message', group, id, ...flags])
        const before = await scanAll()
        const again = await cliJson<DeleteMessageResult>(['ddb', 'patterns', 'delete-message', group, id, ...flags])
        expect(again.code).to.equal(0)
        expect(again.json.alreadyDeleted).to.equal(true)
        expect(await scanAll()).to.deep.equal(before)

        await cli(['ddb', 'patterns', 'delete-message', group, id, '--hard', ...flags])
        const afterHard = await scanAll()
        const hardAgain = await cli(['ddb', 'patterns', 'delete-message', group, id, '--hard', ...flags])
        expect(hardAgain.code).to.equal(4)
        expect(errorLines(hardAgain.stderr)).to.have.length(1)
        expect(await scanAll()).to.deep.equal(afterHard)
      },
    )

    it('hard-deleting the last message removes the conversation rows and its marker', async () => {
      const {group, sent} = await conversation(users.bob, users.dan, 1)
      const result = await cliJson<DeleteMessageResult>([
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
      const rows = await conversationRows(group, [users.cat, users.dan])
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

    it(
      'the stream handler does not undo a delete: a late INSERT of a removed message, ' +
        'a REMOVE and a tombstone MODIFY change nothing',
      async () => {
        const {group, sent} = await conversation(users.fay, users.gus, 3)
        await deleteMessage(messagesTable, {
          hard: true,
          messageGroupUuid: group,
          messageUuid: sent[2].message.messageUuid,
        })
        await deleteMessage(messagesTable, {messageGroupUuid: group, messageUuid: sent[1].message.messageUuid})
        const before = await scanAll()
        const tombstone = {
          ...sent[1].item,
          deleted_at: new Date().toISOString(),
          message: undefined,
        } as unknown as MessageItem
        const handler = createStreamHandler({log: () => {}, table: messagesTable})
        const outcome = await handler({
          Records: [
            streamRecord(sent[2].item),
            streamRecord(sent[1].item),
            streamRecord(sent[2].item, 'REMOVE'),
            streamRecord(tombstone, 'MODIFY'),
          ],
        })
        expect(outcome.batchItemFailures).to.deep.equal([])
        expect(await scanAll()).to.deep.equal(before)
      },
    )
  })
})

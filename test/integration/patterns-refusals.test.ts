/** What every pattern refuses (outsiders, bad input), and that a refusal writes nothing. */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'

import {type MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {
  conversationUuidFor,
  createMessage,
  getConversation,
  listConversations,
  MAX_MESSAGE_LENGTH,
  updateMessageGroup,
} from '../../src/lib/dynamodb/patterns/index.js'
import {cli, cliJson, errorLines, type ErrorJson} from '../support/cli.js'
import {usePatternsTable} from '../support/patterns.js'

describe('cruddur ddb patterns', () => {
  const patterns = usePatternsTable()
  const {users, flags, suffix, rejection, itemCount} = patterns
  let messagesTable: MessagesTable
  before(() => ({messagesTable} = patterns))

  // Two conversations of two messages each, for the refusals to be about.
  before(async () => {
    await createMessage(messagesTable, {recipient: users.bob, sender: users.ann, text: 'hello bob'})
    await createMessage(messagesTable, {recipient: users.ann, sender: users.bob, text: 'hi ann'})
    await createMessage(messagesTable, {recipient: users.dan, sender: users.cat, text: 'hello dan'})
    await createMessage(messagesTable, {recipient: users.cat, sender: users.dan, text: 'hi cat'})
  })

  describe('library', () => {
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
      const json = await cliJson<ErrorJson>([
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

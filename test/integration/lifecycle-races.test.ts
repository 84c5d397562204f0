import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {PutCommand, QueryCommand, ScanCommand, TransactWriteCommand} from '@aws-sdk/lib-dynamodb'

import {GROUP_PREFIX, MESSAGE_PREFIX, type MessageItem, type Participant} from '../../src/lib/dynamodb/items.js'
import {compareKeys} from '../../src/lib/dynamodb/key-time.js'
import {MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {
  CONVERSATION_MARKER_PREFIX,
  type ConversationRowItem,
  createMessage,
  type CreateMessageResult,
} from '../../src/lib/dynamodb/patterns/index.js'
import {deleteConversation} from '../../src/lib/dynamodb/patterns/delete-conversation.js'
import {deleteMessage} from '../../src/lib/dynamodb/patterns/delete-message.js'
import {createTestTable} from '../support/tables.js'

type Command = Parameters<MessagesTable['doc']['send']>[0]

/** A promise opened by hand: lets a test hold one writer between two of its steps until another has moved. */
function gate(): {open: () => void; opened: Promise<void>} {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return {open, opened}
}

/** A hook that opens one gate, then waits for another writer to get somewhere: hands the turn over. */
const openThenWait =
  (opening: {open: () => void}, waitingFor: Promise<unknown>): (() => Promise<void>) =>
  async () => {
    opening.open()
    await waitingFor
  }

/** The write that stores a new message (a plain put, or a transaction putting it). */
function writesMessage(command: Command): boolean {
  const isMessage = (item?: {pk?: unknown}) => String(item?.pk).startsWith(MESSAGE_PREFIX)
  if (command instanceof PutCommand) return isMessage(command.input.Item)
  if (command instanceof TransactWriteCommand)
    return (command.input.TransactItems ?? []).some((write) => isMessage(write.Put?.Item))
  return false
}

/**
 * The same table, with `before` awaited ahead of the first command `matches` picks (or of each, `times`) and
 * `after` once it has answered (committed or cancelled): the interleaving of two writers is then decided by
 * the test, not by luck.
 */
function pausedAt(
  table: MessagesTable,
  matches: (command: Command) => boolean,
  hooks: {before?: () => Promise<void>; after?: () => Promise<void>},
  times = 1,
): MessagesTable {
  let paused = 0
  const doc = new Proxy(table.doc, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver)
      return async (command: Command) => {
        if (paused >= times || !matches(command)) return target.send(command)
        paused++
        await hooks.before?.()
        try {
          return await target.send(command)
        } finally {
          await hooks.after?.()
        }
      }
    },
  })
  return new MessagesTable({doc, name: table.name})
}

const isTransaction = (command: Command) => command instanceof TransactWriteCommand

const hardDelete = (table: MessagesTable, sent: CreateMessageResult) =>
  deleteMessage(table, {hard: true, messageGroupUuid: sent.messageGroupUuid, messageUuid: sent.message.messageUuid})

/** The value of a settled promise, failing the test (with the reason) when it was rejected. */
function fulfilled<T>(outcome: PromiseSettledResult<T>): T {
  if (outcome.status === 'rejected') expect.fail(`rejected: ${String(outcome.reason)}`)
  return outcome.value
}

const person = (name: string): Participant => {
  const handle = `${name}_${randomUUID().slice(0, 8)}`
  return {displayName: `${name} Racer`, handle, uuid: randomUUID()}
}

describe('message lifecycle races: removing a conversation while a send lands in it', () => {
  let fresh: Awaited<ReturnType<typeof createTestTable>>
  let table: MessagesTable
  let ann: Participant
  let bob: Participant

  beforeEach(async () => {
    fresh = await createTestTable(`lifecycle-races-${randomUUID().slice(0, 8)}`)
    table = fresh.messagesTable
    ann = person('ann')
    bob = person('bob')
  })

  afterEach(() => fresh.drop())

  /**
   * What must hold whatever the interleaving: every conversation with messages has its marker and exactly
   * one row per participant, each showing its newest message; one without messages has neither; no message
   * is stored twice. Returns the messages, by conversation.
   */
  async function expectConsistent(): Promise<Map<string, MessageItem[]>> {
    const items: Array<Record<string, unknown> & {pk: string; sk: string}> = []
    let startKey: Record<string, unknown> | undefined
    do {
      const page = await table.doc.send(
        new ScanCommand({ConsistentRead: true, ExclusiveStartKey: startKey, TableName: table.name}),
      )
      items.push(...((page.Items ?? []) as typeof items))
      startKey = page.LastEvaluatedKey
    } while (startKey)
    const messages = new Map<string, MessageItem[]>()
    const rows = new Map<string, ConversationRowItem[]>()
    const markers = new Set<string>()
    for (const item of items) {
      if (item.pk.startsWith(MESSAGE_PREFIX)) {
        const group = item.pk.slice(MESSAGE_PREFIX.length)
        messages.set(group, [...(messages.get(group) ?? []), item as unknown as MessageItem])
      } else if (item.pk.startsWith(GROUP_PREFIX)) {
        const row = item as unknown as ConversationRowItem
        rows.set(row.message_group_uuid, [...(rows.get(row.message_group_uuid) ?? []), row])
      } else if (item.pk.startsWith(CONVERSATION_MARKER_PREFIX)) {
        markers.add(item.pk.slice(CONVERSATION_MARKER_PREFIX.length))
      }
    }

    const uuids = [...messages.values()].flat().map((message) => message.message_uuid)
    expect(new Set(uuids).size, 'a message stored twice').to.equal(uuids.length)
    for (const group of new Set([...messages.keys(), ...rows.keys(), ...markers])) {
      const stored = messages.get(group) ?? []
      const groupRows = rows.get(group) ?? []
      if (stored.length === 0) {
        expect(groupRows, `rows of conversation ${group}, which has no messages`).to.deep.equal([])
        expect(markers.has(group), `marker of conversation ${group}, which has no messages`).to.equal(false)
        continue
      }

      const newest = stored.reduce((a, b) => (compareKeys(a.sk, b.sk) >= 0 ? a : b))
      expect(markers.has(group), `marker of conversation ${group}, which has messages`).to.equal(true)
      expect(
        groupRows.map((row) => row.pk).sort(),
        `the rows of conversation ${group}, which has ${stored.length} messages`,
      ).to.deep.equal([`${GROUP_PREFIX}${ann.uuid}`, `${GROUP_PREFIX}${bob.uuid}`].sort())
      for (const row of groupRows)
        expect(row, `${row.pk}'s row of ${group}`).to.include({last_message_sk: newest.sk, message: newest.message})
    }

    return messages
  }

  const storedUuids = (messages: Map<string, MessageItem[]>) =>
    [...messages.values()].flat().map((message) => message.message_uuid)

  const lone = () => createMessage(table, {recipient: bob, sender: ann, text: `lone ${randomUUID()}`})

  it(
    'a send landing between the reads and the commit of a hard delete of the last message ' + 'keeps its conversation',
    async () => {
      const first = await lone()
      const [deleteRead, messageWritten, deleteDone] = [gate(), gate(), gate()]
      const deleting = hardDelete(
        pausedAt(table, isTransaction, {
          after: async () => deleteDone.open(),
          before: openThenWait(deleteRead, messageWritten.opened),
        }),
        first,
      )
      const sending = createMessage(
        pausedAt(table, writesMessage, {
          after: openThenWait(messageWritten, deleteDone.opened),
          before: () => deleteRead.opened,
        }),
        {recipient: bob, sender: ann, text: 'sent while the last message goes'},
      )
      const [deleted, sent] = await Promise.allSettled([deleting, sending])

      const messages = await expectConsistent()
      fulfilled(deleted)
      expect(storedUuids(messages)).to.deep.equal([fulfilled(sent).message.messageUuid])
    },
  )

  it('a send that found the conversation before a hard delete removed it starts the conversation again', async () => {
    const first = await lone()
    const [sendRead, deleteDone] = [gate(), gate()]
    const deleting = hardDelete(
      pausedAt(table, isTransaction, {after: async () => deleteDone.open(), before: () => sendRead.opened}),
      first,
    )
    const sending = createMessage(
      pausedAt(table, writesMessage, {
        before: openThenWait(sendRead, deleteDone.opened),
      }),
      {recipient: bob, sender: ann, text: 'sent after the conversation was found'},
    )
    const [deleted, sent] = await Promise.allSettled([deleting, sending])

    const messages = await expectConsistent()
    expect(fulfilled(deleted).conversationRemoved).to.equal(true)
    const result = fulfilled(sent)
    expect(result.newConversation).to.equal(true)
    expect(storedUuids(messages)).to.deep.equal([result.message.messageUuid])
  })

  it('a send that saw the rows just before a hard delete removed them starts the conversation again', async () => {
    // The send finds the pair's rows in the index, then reads its members: the delete commits in between.
    const first = await lone()
    let indexQueries = 0
    const secondIndexQuery = (command: Command) =>
      command instanceof QueryCommand && command.input.IndexName !== undefined && ++indexQueries === 2
    let deleted: Awaited<ReturnType<typeof hardDelete>> | undefined
    const sending = createMessage(
      pausedAt(table, secondIndexQuery, {
        before: async () => {
          deleted = await hardDelete(table, first)
        },
      }),
      {recipient: bob, sender: ann, text: 'sent as its conversation went'},
    )
    const result = await sending

    const messages = await expectConsistent()
    expect(indexQueries).to.be.at.least(2)
    expect(deleted?.conversationRemoved).to.equal(true)
    expect(result.newConversation).to.equal(true)
    expect(storedUuids(messages)).to.deep.equal([result.message.messageUuid])
  })

  it('a send landing while delete-conversation deletes the messages leaves no message without its rows', async () => {
    const first = await lone()
    const [deleteRead, messageWritten] = [gate(), gate()]
    const deleting = deleteConversation(
      pausedAt(table, isTransaction, {
        before: openThenWait(deleteRead, messageWritten.opened),
      }),
      first.messageGroupUuid,
    )
    const sending = createMessage(
      pausedAt(table, writesMessage, {
        // The rows are moved only once the delete has finished, with its retries.
        after: openThenWait(
          messageWritten,
          deleting.catch(() => {}),
        ),
        before: () => deleteRead.opened,
      }),
      {messageGroupUuid: first.messageGroupUuid, sender: bob, text: 'sent while the conversation goes'},
    )
    const [deleted, sent] = await Promise.allSettled([deleting, sending])

    const messages = await expectConsistent()
    fulfilled(deleted)
    // The delete took the message that landed in the middle of it, and the send says so (not "rows not updated").
    expect(sent.status).to.equal('rejected')
    expect((sent as PromiseRejectedResult).reason).to.include({code: 'NOT_FOUND'})
    expect(String((sent as PromiseRejectedResult).reason)).to.match(
      /was deleted while message .* was being sent: the message went with it/,
    )

    expect(storedUuids(messages)).to.deep.equal([])
  })

  it(
    'rounds of hard deletes of a lone message racing sends into the same pair ' + 'keep every conversation whole',
    async function () {
      this.timeout(120_000)
      const jitter = () => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 30))
      // Every transaction waits a moment after the reads it decided on: a delete's window for a send to land in,
      // and a send's between its message and its rows' move, are wide open.
      const slow = pausedAt(table, isTransaction, {before: jitter}, Infinity)
      const sentUuids: string[] = []
      for (let round = 0; round < 12; round++) {
        const messages = await expectConsistent()
        // The round's lone message: the pair's conversation is emptied first, then gets one message.
        for (const group of messages.keys()) await deleteConversation(table, group)
        const first = await lone()
        sentUuids.length = 0
        const deletes = Array.from({length: 2}, async () => {
          await jitter()
          return hardDelete(slow, first)
        })
        const sends = Array.from({length: 3}, async (_, i) => {
          await jitter()
          const sent = await createMessage(slow, {
            recipient: i % 2 ? ann : bob,
            sender: i % 2 ? bob : ann,
            text: `#${i}`,
          })
          sentUuids.push(sent.message.messageUuid)
          return sent
        })
        const settled = await Promise.allSettled([...deletes, ...sends])

        const after = await expectConsistent()
        for (const outcome of settled.slice(2)) fulfilled(outcome)
        // A second hard delete of the same message finds it gone (NOT_FOUND) or sees it removed meanwhile.
        for (const outcome of settled.slice(0, 2))
          if (outcome.status === 'rejected') expect((outcome.reason as {code?: string}).code).to.equal('NOT_FOUND')
        expect(storedUuids(after).sort(), `round ${round}: the messages kept`).to.deep.equal([...sentUuids].sort())
      }
    },
  )
})

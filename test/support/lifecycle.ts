import {randomUUID} from 'node:crypto'
import {type BatchWriteCommand, QueryCommand, type TransactWriteCommand} from '@aws-sdk/lib-dynamodb'

import {type MessageItem, type Participant} from '../../src/lib/dynamodb/items.js'
import {type MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {
  type ConversationRowItem,
  createMessage,
  type CreateMessageResult,
} from '../../src/lib/dynamodb/patterns/index.js'
import {type MessagesFixture, useMessagesFixture} from './messages-fixture.js'

const NAMES = [
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

/** What the message lifecycle test files share: a table and fourteen users ("ann Tester", …), and a clock. */
export interface LifecycleFixture extends MessagesFixture<(typeof NAMES)[number]> {
  /** Strictly increasing message times: the tests decide which message is the newest. */
  tick(): Date
  send(sender: Participant, to: Participant, text: string): Promise<CreateMessageResult>
  /** The rows of a conversation of each participant, read from the base table (not the index). */
  conversationRows(messageGroupUuid: string, participants: Participant[]): Promise<ConversationRowItem[]>
  /** A conversation's messages, newest first. */
  messagesOf(messageGroupUuid: string): Promise<MessageItem[]>
  /** A conversation of `a` and `b` with `count` messages, alternating senders, oldest first. */
  conversation(a: Participant, b: Participant, count: number): Promise<{group: string; sent: CreateMessageResult[]}>
  /** The same table, except that the `failAt`-th command of `kind` fails, as a crash there would. */
  failingAt(kind: typeof BatchWriteCommand | typeof TransactWriteCommand, failAt: number): MessagesTable
}

/** Registers, in the calling `describe`, the hooks that add the users and create the table, and drop it. */
export function useLifecycleTable(): LifecycleFixture {
  const base = useMessagesFixture('lifecycle-test', NAMES, (name) => `${name} Tester`)
  let clock = Date.UTC(2026, 0, 1, 12, 0, 0)
  const lifecycle: Omit<LifecycleFixture, keyof typeof base> = {
    async conversation(a, b, count) {
      const sent: CreateMessageResult[] = []
      for (let i = 0; i < count; i++)
        sent.push(
          await lifecycle.send(i % 2 ? b : a, i % 2 ? a : b, `${a.handle} and ${b.handle} #${i} ${randomUUID()}`),
        )
      return {group: sent[0].messageGroupUuid, sent}
    },
    async conversationRows(messageGroupUuid, participants) {
      const rows: ConversationRowItem[] = []
      for (const owner of participants) rows.push(...(await base.rowsOf(owner, messageGroupUuid)))
      return rows
    },
    failingAt(kind, failAt) {
      let seen = 0
      return base.intercepted(async (command, next) => {
        if (command instanceof kind && ++seen === failAt) throw new Error('injected failure: the process died here')
        return next(command)
      })
    },
    async messagesOf(messageGroupUuid) {
      const output = await base.ddb.doc.send(
        new QueryCommand({
          ConsistentRead: true,
          ExpressionAttributeValues: {':pk': `MSG#${messageGroupUuid}`},
          KeyConditionExpression: 'pk = :pk',
          ScanIndexForward: false,
          TableName: base.table,
        }),
      )
      return output.Items as MessageItem[]
    },
    send: (sender, to, text) => createMessage(base.messagesTable, {now: lifecycle.tick(), recipient: to, sender, text}),
    tick: () => new Date((clock += 1000)),
  }
  return Object.assign(base, lifecycle)
}

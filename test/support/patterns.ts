import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {PutCommand, QueryCommand} from '@aws-sdk/lib-dynamodb'

import {messageItem, type MessageItem, type Participant} from '../../src/lib/dynamodb/items.js'
import {formatKeyTime, microsOfDate} from '../../src/lib/dynamodb/key-time.js'
import {type MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {type ConversationRowItem} from '../../src/lib/dynamodb/patterns/index.js'
import {CruddurError} from '../../src/lib/errors.js'
import {type MessagesFixture, useMessagesFixture} from './messages-fixture.js'

const NAMES = ['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal', 'ida', 'jon', 'kim', 'lea'] as const

/** What the access-pattern test files share: a table and twelve users ("Ann Tester", …) of their own. */
export interface PatternsFixture extends MessagesFixture<(typeof NAMES)[number]> {
  /** The error a promise rejects with, or a failure if it resolves. */
  rejection(promise: Promise<unknown>): Promise<CruddurError>
  itemCount(): Promise<number>
  /** The same table, except that Queries of the index answer with what `index` makes of the real answer. */
  lagging(index: (items: ConversationRowItem[]) => ConversationRowItem[]): MessagesTable
  /** Writes a message item alone, as a writer whose Pattern D has not run yet (`micros` after `at`). */
  putMessage(
    messageGroupUuid: string,
    sender: Participant,
    at: Date,
    text: string,
    micros?: bigint,
  ): Promise<MessageItem>
}

/** Registers, in the calling `describe`, the hooks that add the users and create the table, and drop it. */
export function usePatternsTable(): PatternsFixture {
  const capitalised = (name: string) => `${name[0].toUpperCase()}${name.slice(1)}`
  const base = useMessagesFixture('patterns-test', NAMES, (name) => `${capitalised(name)} Tester`)
  const patterns: Omit<PatternsFixture, keyof typeof base> = {
    itemCount: async () => (await base.scanAll()).length,
    lagging: (index) =>
      base.intercepted(async (command, next) => {
        const output = await next(command)
        if (!(command instanceof QueryCommand) || !command.input.IndexName) return output
        return {...output, Items: index((output as {Items?: ConversationRowItem[]}).Items ?? [])}
      }),
    async putMessage(messageGroupUuid, sender, at, text, micros = 0n) {
      const item = messageItem({
        createdAt: formatKeyTime(microsOfDate(at) + micros),
        messageGroupUuid,
        messageUuid: randomUUID(),
        sender,
        text,
      })
      await base.ddb.doc.send(new PutCommand({Item: item, TableName: base.table}))
      return item
    },
    async rejection(promise) {
      try {
        await promise
      } catch (error) {
        expect(error).to.be.instanceOf(CruddurError)
        return error as CruddurError
      }

      expect.fail('expected an error')
    },
  }
  return Object.assign(base, patterns)
}

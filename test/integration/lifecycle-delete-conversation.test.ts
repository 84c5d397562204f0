/** delete-conversation: everything of a conversation goes, and an interrupted run is finished by a rerun. */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {BatchWriteCommand, PutCommand} from '@aws-sdk/lib-dynamodb'

import type {DeleteConversationResult} from '../../src/commands/ddb/patterns/delete-conversation.js'
import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {messageItem, timestamp} from '../../src/lib/dynamodb/items.js'
import {deleteConversation} from '../../src/lib/dynamodb/patterns/delete-conversation.js'
import {cli, cliJson} from '../support/cli.js'
import {useLifecycleTable} from '../support/lifecycle.js'

describe('message lifecycle: delete, erase, idempotent sends, fresh caches', () => {
  const lifecycle = useLifecycleTable()
  const {users, table, flags, scanAll, conversationRows, messagesOf, conversation, failingAt} = lifecycle
  let ddb: DynamoDbClients
  before(() => ({ddb} = lifecycle))

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
      expect(await conversationRows(group, [users.gus, users.hal])).to.have.length(2)

      const rerun = await cliJson<DeleteConversationResult>(['ddb', 'patterns', 'delete-conversation', group, ...flags])
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
})

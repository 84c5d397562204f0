/** `ddb doctor --fix` repairing a conversation that other writers change between its diagnosis and its repair. */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {DeleteCommand} from '@aws-sdk/lib-dynamodb'

import type {Participant} from '../../src/lib/dynamodb/items.js'
import {repairConversation} from '../../src/lib/dynamodb/doctor/repair.js'
import {queryGroupRowsConsistently} from '../../src/lib/dynamodb/patterns/conversation-rows.js'
import {createMessage} from '../../src/lib/dynamodb/patterns/index.js'
import {createTestTable} from '../support/tables.js'

describe('doctor --fix against other writers', () => {
  let fresh: Awaited<ReturnType<typeof createTestTable>>
  const person = (name: string): Participant => ({
    displayName: name,
    handle: `${name}${randomUUID().slice(0, 6)}`,
    uuid: randomUUID(),
  })

  beforeEach(async () => {
    fresh = await createTestTable(`doctor-races-${randomUUID().slice(0, 8)}`)
  })
  afterEach(() => fresh.drop())

  it('a conversation whose rows went after the diagnosis gets them back, at its newest message', async () => {
    const [ann, bob] = [person('ann'), person('bob')]
    const table = fresh.messagesTable
    await createMessage(table, {recipient: bob, sender: ann, text: 'first'})
    const sent = await createMessage(table, {recipient: ann, sender: bob, text: 'newest'})
    const group = sent.messageGroupUuid
    // Diagnosed with its two rows; then both go (a removal racing a send, the course Lambda's delete-then-put).
    for (const row of await queryGroupRowsConsistently(table, group, [ann.uuid, bob.uuid]))
      await fresh.ddb.doc.send(new DeleteCommand({Key: {pk: row.pk, sk: row.sk}, TableName: table.name}))
    const directory = new Map([ann, bob].map((user) => [user.uuid, user]))

    expect(await repairConversation(table, group, [ann.uuid, bob.uuid], directory)).to.equal(true)
    const rows = await queryGroupRowsConsistently(table, group, [ann.uuid, bob.uuid])
    expect(rows.map((row) => row.pk).sort()).to.deep.equal([`GRP#${ann.uuid}`, `GRP#${bob.uuid}`].sort())
    for (const row of rows) expect(row).to.include({last_message_sk: sent.item.sk, message: 'newest'})
  })
})

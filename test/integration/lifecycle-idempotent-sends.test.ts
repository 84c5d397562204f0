/** create-message --idempotency-key: a retried send stores its message once. */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'

import type {CreateMessageResult} from '../../src/commands/ddb/patterns/create-message.js'
import {createMessage} from '../../src/lib/dynamodb/patterns/index.js'
import {cli, cliJson} from '../support/cli.js'
import {type MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {useLifecycleTable} from '../support/lifecycle.js'

describe('message lifecycle: delete, erase, idempotent sends, fresh caches', () => {
  const lifecycle = useLifecycleTable()
  const {users, suffix, flags, scanAll, messagesOf} = lifecycle
  let messagesTable: MessagesTable
  before(() => ({messagesTable} = lifecycle))

  describe('idempotent sends', () => {
    it('a retried send with the same key returns the first message (duplicate: true) and writes nothing', async () => {
      const args = [
        'ddb',
        'patterns',
        'create-message',
        '--from',
        users.hal.handle,
        '--to',
        users.ida.handle,
        '--idempotency-key',
        `ci-${suffix}`,
        'Deployed.',
        ...flags,
      ]
      const first = await cliJson<CreateMessageResult>(args)
      expect(first.code, first.stderr).to.equal(0)
      expect(first.json.duplicate).to.equal(false)
      const before = await scanAll()
      const retry = await cliJson<CreateMessageResult>(args)
      expect(retry.json.duplicate).to.equal(true)
      expect(retry.json.message.messageUuid).to.equal(first.json.message.messageUuid)
      expect(await scanAll()).to.deep.equal(before)
      expect((await cli(args)).stderr).to.include('Already sent with this idempotency key')
      const plain = await cliJson<CreateMessageResult>(args.filter((_, i) => i !== 7 && i !== 8))
      expect(plain.code, plain.stderr).to.equal(0)
      expect(plain.json.duplicate).to.equal(false)
      expect((await messagesOf(first.json.messageGroupUuid)).filter((m) => m.message === 'Deployed.')).to.have.length(2)
    })

    it(
      '10 concurrent sends with one key store one message, ' + 'into a new conversation and into an existing one',
      async () => {
        for (const [sender, recipient] of [
          [users.jon, users.lea],
          [users.jon, users.lea],
        ] as const) {
          const key = `concurrent-${randomUUID()}`
          const results = await Promise.all(
            Array.from({length: 10}, () =>
              createMessage(messagesTable, {idempotencyKey: key, recipient, sender, text: 'once'}),
            ),
          )
          expect(new Set(results.map((r) => r.message.messageUuid)).size).to.equal(1)
          expect(results.filter((r) => !r.duplicate)).to.have.length(1)
          const stored = (await messagesOf(results[0].messageGroupUuid)).filter(
            (m) => m.message_uuid === results[0].message.messageUuid,
          )
          expect(stored).to.have.length(1)
        }
      },
    )
  })
})

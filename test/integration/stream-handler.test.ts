/** The stream handler (the Lambda and the local processor share it): records in, rows at their newest message. */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'

import {type MessageItem} from '../../src/lib/dynamodb/items.js'
import {applyMessageToConversation} from '../../src/lib/dynamodb/patterns/update-message-group.js'
import {createStreamHandler, type StreamLogEntry} from '../../src/lib/stream/handler.js'
import {testStack} from '../hooks.js'
import {type MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {messageAt, silent, streamRecord, useStreamTable} from '../support/stream.js'

describe('ddb stream', () => {
  const stream = useStreamTable()
  const {table, conversation, rowsOf, expectRowsShow} = stream
  let messagesTable: MessagesTable
  before(() => ({messagesTable} = stream))

  describe('the handler', () => {
    it('applies every record of a large batch across many conversations', async () => {
      const conversations = await Promise.all(Array.from({length: 15}, () => conversation()))
      const messages = conversations.flatMap(({a, b, group}) =>
        Array.from({length: 8}, (_, i) => messageAt(group, i % 2 ? a : b, i + 1)),
      )
      const handle = createStreamHandler({log: silent, table: messagesTable})
      const outcome = await handle({Records: messages.map((item) => streamRecord(item))})
      expect(outcome.batchItemFailures).to.deep.equal([])
      expect(outcome.applied).to.equal(120)
      for (const {group} of conversations)
        await expectRowsShow(group, messages.filter((m) => m.pk.endsWith(group)).at(-1)!)
    })

    it('a replayed batch changes nothing', async () => {
      const {a, group} = await conversation()
      const records = [1, 2, 3].map((minute) => streamRecord(messageAt(group, a, minute)))
      const handle = createStreamHandler({log: silent, table: messagesTable})
      await handle({Records: records})
      const before = await rowsOf(group)
      const replay = await handle({Records: records})
      expect(replay).to.include({applied: 3, rowsUpdated: 0})
      expect(replay.batchItemFailures).to.deep.equal([])
      expect(await rowsOf(group)).to.have.deep.members(before)
    })

    it('records out of order leave the newest message on both rows', async () => {
      const {a, b, group} = await conversation()
      const messages = [5, 2, 9, 1, 7].map((minute) => messageAt(group, minute % 2 ? a : b, minute))
      const outcome = await createStreamHandler({log: silent, table: messagesTable})({
        Records: messages.map((item) => streamRecord(item)),
      })
      expect(outcome.batchItemFailures).to.deep.equal([])
      await expectRowsShow(group, messages[2])
    })

    it('concurrent invocations over the same conversations never leave a stale or duplicated row', async () => {
      const conversations = await Promise.all(Array.from({length: 4}, () => conversation()))
      const messages = conversations.flatMap(({a, group}) =>
        Array.from({length: 12}, (_, i) => messageAt(group, a, i + 1)),
      )
      // Four batches, each holding messages of every conversation, racing each other.
      const batches = [0, 1, 2, 3].map((k) => messages.filter((_, i) => i % 4 === k).map((item) => streamRecord(item)))
      const outcomes = await Promise.all(
        batches.map((records) => createStreamHandler({log: silent, table: messagesTable})({Records: records})),
      )
      for (const outcome of outcomes) expect(outcome.batchItemFailures).to.deep.equal([])
      for (const {group} of conversations)
        await expectRowsShow(group, messages.filter((m) => m.pk.endsWith(group)).at(-1)!)
    })

    it('passes over everything that is not a new message', async () => {
      const {a, b, group} = await conversation()
      const rows = await rowsOf(group)
      const applied: string[] = []
      const apply = async (_table: MessagesTable, item: MessageItem) => {
        applied.push(item.message_uuid)
        return {updated: 0}
      }

      const newMessage = messageAt(group, b, 3)
      const records = [
        streamRecord(rows[0]),
        streamRecord({...rows[1], message: 'edited'}, 'MODIFY'),
        streamRecord(messageAt(group, a, 2), 'MODIFY'),
        streamRecord(messageAt(group, a, 2), 'REMOVE'),
        streamRecord({created_at: 'x', pk: `CONV#${group}`, sk: 'CONV'}),
        streamRecord(newMessage),
      ]
      const outcome = await createStreamHandler({apply, log: silent, table: messagesTable})({Records: records})
      expect(outcome).to.include({applied: 1, ignored: 5})
      expect(applied).to.deep.equal([newMessage.message_uuid])
    })

    it('a failing record is reported in batchItemFailures and the others are applied', async () => {
      const [one, two, three] = await Promise.all([conversation(), conversation(), conversation()])
      const poison = messageAt(two.group, two.a, 4, 'this one fails')
      const afterPoison = messageAt(two.group, two.b, 5)
      const items = [
        messageAt(one.group, one.a, 3),
        poison,
        messageAt(three.group, three.b, 6),
        afterPoison,
        messageAt(one.group, one.b, 7),
      ]
      const records = items.map((item) => streamRecord(item))
      const apply = async (t: MessagesTable, item: MessageItem) => {
        if (item.message_uuid === poison.message_uuid) throw new Error('simulated failure')
        return applyMessageToConversation(t, item)
      }

      const logs: StreamLogEntry[] = []
      const outcome = await createStreamHandler({apply, log: (entry) => logs.push(entry), table: messagesTable})({
        Records: records,
      })
      expect(outcome.batchItemFailures).to.deep.equal([{itemIdentifier: records[1].dynamodb!.SequenceNumber}])
      // The rest of the failed conversation waits for the redelivery that starts at the failed record.
      expect(outcome).to.include({applied: 3, skipped: 1})
      await expectRowsShow(one.group, items[4])
      await expectRowsShow(three.group, items[2])
      const failure = logs.find((entry) => entry.event === 'recordFailed')!
      expect(failure).to.include({
        errorMessage: 'simulated failure',
        pk: poison.pk,
        sequenceNumber: records[1].dynamodb!.SequenceNumber,
        sk: poison.sk,
      })
    })

    it('logs are JSON-ready and never contain message text', async () => {
      const {a, group} = await conversation()
      const secret = `secret text ${randomUUID()}`
      const logs: StreamLogEntry[] = []
      const apply = async () => {
        throw new Error('boom')
      }

      await createStreamHandler({log: (entry) => logs.push(entry), table: messagesTable})({
        Records: [streamRecord(messageAt(group, a, 1, secret))],
      })
      await createStreamHandler({apply, log: (entry) => logs.push(entry), table: messagesTable})({
        Records: [streamRecord(messageAt(group, a, 2, secret))],
      })
      const text = logs.map((entry) => JSON.stringify(entry)).join('\n')
      expect(logs.map((entry) => entry.event)).to.include.members(['batch', 'recordFailed'])
      expect(text).to.not.include(secret)
    })

    it('calls afterApply for each applied message, and its failures do not fail the record', async () => {
      const {a, group} = await conversation()
      const seen: string[] = []
      const items = [messageAt(group, a, 1), messageAt(group, a, 2)]
      const afterApply = async (item: MessageItem) => {
        seen.push(item.message_uuid)
        throw new Error('cache down')
      }

      const logs: StreamLogEntry[] = []
      const outcome = await createStreamHandler({afterApply, log: (entry) => logs.push(entry), table: messagesTable})({
        Records: items.map((item) => streamRecord(item)),
      })
      expect(outcome.batchItemFailures).to.deep.equal([])
      expect(seen).to.deep.equal(items.map((item) => item.message_uuid))
      expect(logs.filter((entry) => entry.event === 'afterApplyFailed')).to.have.length(2)
    })

    it(
      'the Lambda entry reads table, region and endpoint from the environment ' + 'and answers in the documented shape',
      async () => {
        const {b, group} = await conversation()
        const item = messageAt(group, b, 30)
        const saved = {...process.env}
        Object.assign(process.env, {
          AWS_ACCESS_KEY_ID: 'local',
          AWS_ENDPOINT_URL_DYNAMODB: testStack().dynamodbEndpoint,
          AWS_REGION: 'us-east-1',
          AWS_SECRET_ACCESS_KEY: 'local',
          DDB_MESSAGE_TABLE: table,
        })
        const log = console.log
        console.log = () => {}
        try {
          const {handler} = await import('../../src/lambda/message-stream.js')
          expect(await handler({Records: [streamRecord(item)]})).to.deep.equal({batchItemFailures: []})
        } finally {
          console.log = log
          for (const name of [
            'AWS_ACCESS_KEY_ID',
            'AWS_ENDPOINT_URL_DYNAMODB',
            'AWS_REGION',
            'AWS_SECRET_ACCESS_KEY',
            'DDB_MESSAGE_TABLE',
          ]) {
            if (saved[name] === undefined) delete process.env[name]
            else process.env[name] = saved[name]
          }
        }

        await expectRowsShow(group, item)
      },
    )

    it('the Lambda entry takes the Momento key from Secrets Manager when only the secret is named', async () => {
      const {environmentWithSecrets} = await import('../../src/lambda/message-stream.js')
      const asked: string[] = []
      const readSecret = async (arn: string) => {
        asked.push(arn)
        return 'key-from-the-secret'
      }

      const arn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:momento-key'
      const filled = await environmentWithSecrets(
        {MOMENTO_API_KEY_SECRET_ARN: arn, MOMENTO_CACHE_NAME: 'cruddur'},
        readSecret,
      )
      expect(filled.MOMENTO_API_KEY).to.equal('key-from-the-secret')
      // A key already given, or no cache at all: Secrets Manager is not asked.
      await environmentWithSecrets(
        {MOMENTO_API_KEY: 'given', MOMENTO_API_KEY_SECRET_ARN: arn, MOMENTO_CACHE_NAME: 'cruddur'},
        readSecret,
      )
      await environmentWithSecrets({MOMENTO_API_KEY_SECRET_ARN: arn}, readSecret)
      expect(asked).to.deep.equal([arn])
    })
  })
})

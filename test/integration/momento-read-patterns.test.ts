/** The read patterns and the stream with the cache, through the binary. */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'

import type {GetConversationResult} from '../../src/commands/ddb/patterns/get-conversation.js'
import type {ListConversationsResult} from '../../src/commands/ddb/patterns/list-conversations.js'
import {freePort} from '../../src/lib/local/ports.js'
import {cli, cliJson, errorLines} from '../support/cli.js'
import {addStackUsers} from '../support/database.js'

describe('momento', () => {
  describe('the read patterns and the stream, through the binary', () => {
    const table = `momento-test-${randomUUID().slice(0, 8)}`
    const [ann, ben] = ['ann', 'ben'].map((name) => `${name}_${randomUUID().slice(0, 8)}`)
    const tableFlags = ['--table', table]

    const listOf = (handle: string, ...extra: string[]) =>
      cliJson<ListConversationsResult>(['ddb', 'patterns', 'list-conversations', handle, ...tableFlags, ...extra])
    const processStream = async () => {
      const processed = await cli(['ddb', 'stream', 'process', '--once', '--cache', ...tableFlags])
      expect(processed.code, processed.stderr).to.equal(0)
    }

    before(async function () {
      this.timeout(120_000)
      await addStackUsers([ann, ben])
      const loaded = await cli(['ddb', 'schema-load', ...tableFlags])
      expect(loaded.code, loaded.stderr).to.equal(0)
    })

    after(async () => {
      await cli(['ddb', 'drop', ...tableFlags, '--yes'])
    })

    it("reads are DynamoDB's unless the cache is asked for, and say where they came from", async () => {
      const created = await cli([
        'ddb',
        'patterns',
        'create-message',
        '--from',
        ann,
        '--to',
        ben,
        'hello',
        ...tableFlags,
      ])
      expect(created.code, created.stderr).to.equal(0)
      expect((await listOf(ann)).json.fromCache).to.equal(false)
      expect((await listOf(ann)).json.fromCache).to.equal(false)
      expect((await listOf(ann, '--cache')).json.fromCache).to.equal(false)
      const hit = await listOf(ann, '--cache')
      expect(hit.json.fromCache).to.equal(true)
      expect(hit.json.conversations[0].lastMessage).to.equal('hello')
      expect((await listOf(ann, '--no-cache')).json.fromCache).to.equal(false)
      const fromEnv = await cliJson<ListConversationsResult>(
        ['ddb', 'patterns', 'list-conversations', ann, ...tableFlags],
        {
          env: {MOMENTO_CACHE_NAME: 'cruddur'},
        },
      )
      expect(fromEnv.json.fromCache).to.equal(true)
      expect((await cli(['ddb', 'patterns', 'list-conversations', ann, '--cache', ...tableFlags])).stderr).to.include(
        '(from the cache)',
      )
    })

    it('the stream refresh makes the next read a hit with the new last message, for both participants', async () => {
      await processStream()
      const group = (await listOf(ann, '--cache')).json.conversations[0].messageGroupUuid
      const replied = await cli([
        'ddb',
        'patterns',
        'create-message',
        '--from',
        ben,
        '--group',
        group,
        'a fresh reply',
        ...tableFlags,
      ])
      expect(replied.code, replied.stderr).to.equal(0)
      await processStream()

      for (const handle of [ann, ben]) {
        const listed = await listOf(handle, '--cache')
        expect(listed.json.fromCache, handle).to.equal(true)
        expect(listed.json.conversations[0]).to.include({lastMessage: 'a fresh reply', messageGroupUuid: group})
        const read = await cliJson<GetConversationResult>([
          'ddb',
          'patterns',
          'get-conversation',
          group,
          '--as',
          handle,
          '--cache',
          ...tableFlags,
        ])
        expect(read.json.fromCache, handle).to.equal(true)
        expect(read.json.messages[0].text).to.equal('a fresh reply')
      }

      const operator = await cliJson<GetConversationResult>([
        'ddb',
        'patterns',
        'get-conversation',
        group,
        '--cache',
        ...tableFlags,
      ])
      expect(operator.json).to.deep.include({fromCache: true})
      expect(operator.json.messages.map((m) => m.text)).to.deep.equal(['a fresh reply', 'hello'])
    })

    it('a cached conversation is still refused to someone who is not in it', async () => {
      const group = (await listOf(ann, '--cache')).json.conversations[0].messageGroupUuid
      const outsider = `eve_${randomUUID().slice(0, 8)}`
      await addStackUsers([outsider])

      const refused = await cli([
        'ddb',
        'patterns',
        'get-conversation',
        group,
        '--as',
        outsider,
        '--cache',
        ...tableFlags,
      ])
      expect(refused.code).to.not.equal(0)
      expect(errorLines(refused.stderr)).to.have.length(1)
    })

    it('with the cache down, cached reads still answer from DynamoDB, with one warning', async () => {
      const port = await freePort()
      const result = await cli(['ddb', 'patterns', 'list-conversations', ann, '--cache', ...tableFlags], {
        env: {MOMENTO_LOCAL_ENDPOINT: `127.0.0.1:${port}`},
      })
      expect(result.code, result.stderr).to.equal(0)
      expect(result.stdout).to.include('a fresh reply')
      expect(result.stderr.match(/warning: the cache is not answering/g)).to.have.length(1)
    })
  })
})

/** erase-user: a user's text erased (or, with --hard, their messages removed) everywhere. */
import {expect} from 'chai'
import {DeleteCommand, TransactWriteCommand} from '@aws-sdk/lib-dynamodb'

import type {EraseUserResult} from '../../src/commands/ddb/patterns/erase-user.js'
import type {ListConversationsResult} from '../../src/commands/ddb/patterns/list-conversations.js'
import {type Participant} from '../../src/lib/dynamodb/items.js'
import {eraseUser} from '../../src/lib/dynamodb/patterns/erase-user.js'
import {testStack} from '../hooks.js'
import {cli, cliJson, errorLines} from '../support/cli.js'
import {useLifecycleTable} from '../support/lifecycle.js'

describe('message lifecycle: delete, erase, idempotent sends, fresh caches', () => {
  const lifecycle = useLifecycleTable()
  const {users, suffix, flags, send, scanAll, failingAt} = lifecycle

  describe('erase-user', () => {
    it("erases the user's text everywhere, brings both participants' rows up to date, and reports it", async () => {
      const secret = (n: number) => `ida-secret-${suffix}-${n}`
      const [jon, kim, lea] = [users.jon, users.kim, users.lea]
      // With jon, ida sent the newest; with kim, a middle one; with lea, every message.
      await send(jon, users.ida, 'jon first')
      await send(users.ida, jon, secret(1))
      await send(users.ida, kim, secret(2))
      const kimLast = await send(kim, users.ida, 'kim last')
      await send(users.ida, lea, secret(3))
      await send(users.ida, lea, secret(4))

      const before = await scanAll()
      const dry = await cliJson<EraseUserResult>([
        'ddb',
        'patterns',
        'erase-user',
        users.ida.handle,
        '--dry-run',
        ...flags,
      ])
      expect(dry.json).to.include({dryRun: true, messages: 4})
      expect(await scanAll()).to.deep.equal(before)

      const result = await cliJson<EraseUserResult>(['ddb', 'patterns', 'erase-user', users.ida.handle, ...flags])
      expect(result.code, result.stderr).to.equal(0)
      expect(result.json).to.include({conversationsSeen: 3, messages: 4, postgres: 'untouched', rowsUpdated: 4})
      expect(result.json.conversations).to.have.length(3)
      expect((await cli(['ddb', 'patterns', 'erase-user', users.ida.handle, ...flags])).stderr).to.include(
        'PostgreSQL row was not touched',
      )

      const seenBy = async (reader: Participant) =>
        (
          await cliJson<ListConversationsResult>(['ddb', 'patterns', 'list-conversations', reader.handle, ...flags])
        ).json.conversations.find((c) => c.with.uuid === users.ida.uuid)!
      expect(await seenBy(jon)).to.include({lastMessageDeleted: true})
      expect(await seenBy(kim)).to.include({lastMessage: kimLast.message.text})
      expect(await seenBy(lea)).to.include({lastMessageDeleted: true})
      const items = await scanAll()
      const everything = JSON.stringify(items)
      for (let n = 1; n <= 4; n++) expect(everything).to.not.include(secret(n))
      // The app reads `message` on every message and row: the tombstones and the rows showing them keep one.
      for (const item of items.filter((i) => /^(MSG|GRP)#/.test(String(i.pk))))
        expect(item.message, `${item.pk} ${item.sk}`).to.be.a('string')
    })

    it(
      '--hard removes the messages, resumes after a crash, ' + 'and removes conversations that had only theirs',
      async () => {
        const secret = (n: number) => `max-secret-${suffix}-${n}`
        await send(users.ned, users.max, 'ned first')
        for (let n = 1; n <= 3; n++) await send(users.max, users.ned, secret(n))
        const onlyMax = await send(users.max, users.lea, secret(4))

        let failure: unknown
        try {
          await eraseUser(failingAt(TransactWriteCommand, 2), users.max, {hard: true})
        } catch (error) {
          failure = error
        }

        expect(String(failure)).to.include('injected failure')
        const rerun = await cliJson<EraseUserResult>([
          'ddb',
          'patterns',
          'erase-user',
          users.max.handle,
          '--hard',
          ...flags,
        ])
        expect(rerun.code, rerun.stderr).to.equal(0)
        expect(rerun.json.messages).to.equal(3)
        const everything = await scanAll()
        for (let n = 1; n <= 4; n++) expect(JSON.stringify(everything)).to.not.include(secret(n))
        expect(everything.filter((item) => item.message_group_uuid === onlyMax.messageGroupUuid)).to.deep.equal([])
        const ned = await cliJson<ListConversationsResult>([
          'ddb',
          'patterns',
          'list-conversations',
          users.ned.handle,
          ...flags,
        ])
        expect(ned.json.conversations.find((c) => c.with.uuid === users.max.uuid)).to.include({
          lastMessage: 'ned first',
        })
      },
    )

    it('skips a conversation with broken rows (exit 9), erases the rest; after doctor --fix, all', async function () {
      this.timeout(120_000)
      const secret = (n: number) => `ann-secret-${suffix}-${n}`
      const [ann, bob, cat] = [users.ann, users.bob, users.cat]
      await send(ann, bob, secret(1))
      const broken = await send(ann, cat, secret(2))
      // Cat's row gone (the course Lambda's delete-then-put, half done): not one row per participant any more.
      const [catRow] = await lifecycle.conversationRows(broken.messageGroupUuid, [cat])
      await lifecycle.ddb.doc.send(new DeleteCommand({Key: {pk: catRow.pk, sk: catRow.sk}, TableName: lifecycle.table}))

      const erase = () => cliJson<EraseUserResult>(['ddb', 'patterns', 'erase-user', ann.handle, ...flags])
      const first = await erase()
      expect(first.code, first.stderr).to.equal(9)
      expect(first.json.skipped.map((s) => s.messageGroupUuid)).to.deep.equal([broken.messageGroupUuid])
      // Run again for people: nothing more of theirs to erase, the same conversation named, with the repair.
      const human = await cli(['ddb', 'patterns', 'erase-user', ann.handle, ...flags])
      expect(human.code).to.equal(9)
      expect(human.stderr).to.include(`skipped conversation ${broken.messageGroupUuid}`).and.include('ddb doctor --fix')
      let everything = JSON.stringify(await scanAll())
      expect(everything).to.not.include(secret(1))
      expect(everything).to.include(secret(2))

      expect((await cli(['ddb', 'doctor', '--fix', ...flags])).code).to.equal(0)
      const second = await erase()
      expect(second.code, second.stderr).to.equal(0)
      expect(second.json.skipped).to.deep.equal([])
      everything = JSON.stringify(await scanAll())
      expect(everything).to.not.include(secret(2))
    })

    it('on --prod without a terminal it asks for --yes (exit 7), writing nothing', async () => {
      const result = await cli(
        [
          'ddb',
          'patterns',
          'erase-user',
          users.ann.handle,
          '--prod',
          '--region',
          'us-east-1',
          '--database-url',
          testStack().databaseUrl,
          ...flags,
        ],
        {env: {AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y'}},
      )
      expect(result.code, result.stderr).to.equal(7)
      expect(errorLines(result.stderr)).to.have.length(1)
    })
  })
})

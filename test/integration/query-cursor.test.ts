import {expect} from 'chai'
import {randomUUID} from 'node:crypto'

import {PutCommand} from '@aws-sdk/lib-dynamodb'

import type {Participant} from '../../src/lib/dynamodb/items.js'
import {MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {createMessage} from '../../src/lib/dynamodb/patterns/index.js'
import {lastMessagesByKey} from '../../src/lib/dynamodb/patterns/update-message-group.js'
import {GROUP_INDEX} from '../../src/lib/dynamodb/schema.js'
import type {DdbQueryResult} from '../../src/commands/ddb/query.js'
import {createTestTable} from '../support/tables.js'
import {cliJson} from '../support/cli.js'

interface ConversationPageJson {
  messages: Array<{text: string}>
  nextCursor: string | null
}

describe('one page reader for ddb query and the patterns', () => {
  const table = `query-cursor-test-${randomUUID().slice(0, 8)}`
  const flags = ['--table', table]
  const ann: Participant = {displayName: 'Ann', handle: `ann${randomUUID().slice(0, 6)}`, uuid: randomUUID()}
  const bob: Participant = {displayName: 'Bob', handle: `bob${randomUUID().slice(0, 6)}`, uuid: randomUUID()}
  const texts = ['m0', 'm1', 'm2', 'm3', 'm4']
  let group: string
  let fresh: Awaited<ReturnType<typeof createTestTable>>

  before(async function () {
    this.timeout(30_000)
    fresh = await createTestTable(table)
    const start = Date.UTC(2026, 0, 1)
    for (const [i, text] of texts.entries()) {
      const sent = await createMessage(fresh.messagesTable, {
        now: new Date(start + i * 1000),
        recipient: bob,
        sender: ann,
        text,
      })
      group = sent.messageGroupUuid
    }
  })

  after(async () => fresh.drop())

  const query = async (...args: string[]) => {
    const result = await cliJson<DdbQueryResult>(['ddb', 'query', ...args, ...flags])
    expect(result.code, result.stderr).to.equal(0)
    return result.json
  }

  const getConversation = async (...args: string[]) => {
    const result = await cliJson<ConversationPageJson>([
      'ddb',
      'patterns',
      'get-conversation',
      group,
      ...args,
      ...flags,
    ])
    expect(result.code, result.stderr).to.equal(0)
    return result.json
  }

  it(
    'a cursor printed by ddb query continues get-conversation, ' + "and get-conversation's continues ddb query",
    async () => {
      const firstOfQuery = await query('--pk', `MSG#${group}`, '--descending', '--limit', '2')
      expect(firstOfQuery.items.map((item) => item.message)).to.deep.equal(['m4', 'm3'])
      const restOfConversation = await getConversation('--limit', '10', '--cursor', firstOfQuery.nextCursor!)
      expect(restOfConversation.messages.map((message) => message.text)).to.deep.equal(['m2', 'm1', 'm0'])
      expect(restOfConversation.nextCursor).to.equal(null)

      const firstOfConversation = await getConversation('--limit', '3')
      expect(firstOfConversation.messages.map((message) => message.text)).to.deep.equal(['m4', 'm3', 'm2'])
      const restOfQuery = await query(
        '--pk',
        `MSG#${group}`,
        '--descending',
        '--cursor',
        firstOfConversation.nextCursor!,
      )
      expect(restOfQuery.items.map((item) => item.message)).to.deep.equal(['m1', 'm0'])
      expect(restOfQuery.nextCursor).to.equal(null)
    },
  )

  it('ddb query pages the index with its cursors, a row a page, ending without an empty page', async () => {
    const key = (item: Record<string, unknown>) => `${item.pk} ${item.sk}`
    const all = (await query('--index', GROUP_INDEX, '--pk', group)).items.map(key)
    expect(all.length).to.be.at.least(2)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: DdbQueryResult = await query(
        '--index',
        GROUP_INDEX,
        '--pk',
        group,
        '--limit',
        '1',
        ...(cursor ? ['--cursor', cursor] : []),
      )
      expect(page.items).to.have.length(1)
      seen.push(...page.items.map(key))
      cursor = page.nextCursor
    } while (cursor && seen.length <= all.length)
    expect(seen).to.deep.equal(all)
  })

  it("reads a conversation's last messages alike through the query client and the document client", async () => {
    // An item with every kind of value the app or a hand edit may leave: both readers must return it the same.
    const odd = {
      count: 3,
      flags: [true, null],
      message: 'm5',
      meta: {nested: {ratio: 0.5}},
      pk: `MSG#${group}`,
      sk: '2026-01-02T00:00:00.000000+00:00',
      user_uuid: ann.uuid,
    }
    await fresh.ddb.doc.send(new PutCommand({Item: odd, TableName: table}))
    let sentThroughQueryClient = 0
    fresh.ddb.queryClient.middlewareStack.add(
      (next) => async (args) => {
        sentThroughQueryClient++
        return next(args)
      },
      {name: 'countQueryClientSends', step: 'initialize'},
    )
    const throughQueryClient = await lastMessagesByKey(fresh.messagesTable, group, {limit: 3})
    expect(sentThroughQueryClient).to.equal(1)
    const documentOnly = new MessagesTable({doc: fresh.ddb.doc, name: table})
    const throughDocumentClient = await lastMessagesByKey(documentOnly, group, {limit: 3})
    expect(sentThroughQueryClient).to.equal(1)
    expect(throughQueryClient[0]).to.deep.equal(odd)
    expect(throughQueryClient).to.deep.equal(throughDocumentClient)
    expect(throughQueryClient.map((item) => item.message)).to.deep.equal(['m5', 'm4', 'm3'])
  })
})

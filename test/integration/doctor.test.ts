import {CreateTableCommand} from '@aws-sdk/client-dynamodb'
import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'

import type {DdbSchemaLoadResult} from '../../src/commands/ddb/schema-load.js'
import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {compareKeys, parseKeyTime} from '../../src/lib/dynamodb/key-time.js'
import {conversationUuidFor} from '../../src/lib/dynamodb/patterns/conversation-uuid.js'
import {cli, cliJson, errorLines, ROOT} from '../support/cli.js'
import {doctor, FIX_ALL, type Item, raw, useDoctorTables, user} from '../support/doctor.js'

describe('cruddur ddb doctor', () => {
  const doctorTables = useDoctorTables()
  const {freshTable, put, keysOnlyTable, oneConversation, allItems} = doctorTables
  let ddb: DynamoDbClients
  before(() => ({ddb} = doctorTables))

  const messageUuids = (items: Item[]) =>
    items
      .filter((item) => item.pk.startsWith('MSG#'))
      .map((item) => item.message_uuid)
      .sort()

  /**
   * What a table the app has used looks like. Counts of what doctor must find (without --deep):
   * stale-row 4, row-key-layout 3, duplicate-rows 1, missing-row 1, empty-conversation 1, split-pair 1;
   * with --deep also non-canonical-key 3 and orphan-messages 1.
   */
  async function sickTable(table: string, extraPairs = 0) {
    await cli(['ddb', 'schema-load', '--table', table])
    const [ann, bob, cat, dan, eve, fay] = ['ann', 'bob', 'cat', 'dan', 'eve', 'fay'].map(user)
    const items: Item[] = []
    // Keys as the app writes them: +00:00 microseconds, naive (a later app version),
    // -05:00 (an app outside UTC, the newest).
    const c1 = randomUUID()
    const m1 = raw.message(c1, '2026-11-29T11:50:00.000001+00:00', ann, 'one')
    const m2 = raw.message(c1, '2026-11-29T11:51:00.000002', bob, 'two')
    const m3 = raw.message(c1, '2026-11-29T06:52:00.000003-05:00', ann, 'three')
    items.push(m1, m2, m3, raw.row(c1, ann, bob, m2.sk, 'two'), raw.row(c1, bob, ann, m2.sk, 'two'))
    // The same pair's second conversation (the app mints a random id each time), healthy on its own.
    const c2 = randomUUID()
    const m4 = raw.message(c2, '2026-11-29T12:00:00.000000+00:00', bob, 'four')
    items.push(m4, raw.row(c2, ann, bob, m4.sk, 'four', m4.sk), raw.row(c2, bob, ann, m4.sk, 'four', m4.sk))
    // The course Lambda's race: two rows for cat, one of them at an older message.
    const c3 = randomUUID()
    const m5 = raw.message(c3, '2026-11-29T09:00:00.000000+00:00', cat, 'five')
    const m6 = raw.message(c3, '2026-11-29T09:05:00.000000+00:00', dan, 'six')
    items.push(
      m5,
      m6,
      raw.row(c3, cat, dan, m6.sk, 'six', m6.sk),
      raw.row(c3, cat, dan, m5.sk, 'five', m5.sk),
      raw.row(c3, dan, cat, m6.sk, 'six', m6.sk),
    )
    // A stale row at a message this CLI wrote in its earlier format (`<ms>Z#<uuid>`).
    const c4 = randomUUID()
    const m7 = {...raw.message(c4, '', cat, 'seven')}
    m7.sk = `2026-11-29T10:00:00.000Z#${m7.message_uuid}`
    const m8 = raw.message(c4, '2026-11-29T10:30:00.000000+00:00', eve, 'eight')
    items.push(
      m7,
      m8,
      raw.row(c4, cat, eve, m8.sk, 'eight', m8.sk),
      raw.row(c4, eve, cat, `2026-11-29T10:00:00.000Z#${c4}`, 'seven', m7.sk),
    )
    // Rows of a conversation without messages.
    const c5 = randomUUID()
    items.push(
      raw.row(c5, dan, eve, '2026-11-29T08:00:00.000000+00:00', 'gone'),
      raw.row(c5, eve, dan, '2026-11-29T08:00:00.000000+00:00', 'gone'),
    )
    // Messages without rows, from both participants.
    const c6 = randomUUID()
    items.push(
      raw.message(c6, '2026-11-29T07:00:00.000000+00:00', eve, 'nine'),
      raw.message(c6, '2026-11-29T07:01:00.000000+00:00', fay, 'ten'),
    )
    // A participant's row missing.
    const c7 = randomUUID()
    const m11 = raw.message(c7, '2026-11-29T06:00:00.000000+00:00', fay, 'eleven')
    items.push(m11, raw.row(c7, ann, fay, m11.sk, 'eleven', m11.sk))
    // A healthy conversation.
    const c8 = randomUUID()
    const m12 = raw.message(c8, '2026-11-29T05:00:00.000000+00:00', bob, 'twelve')
    items.push(m12, raw.row(c8, bob, cat, m12.sk, 'twelve', m12.sk), raw.row(c8, cat, bob, m12.sk, 'twelve', m12.sk))
    // More split pairs, each with messages in old-format keys (work for the kill test).
    for (let i = 0; i < extraPairs; i++) {
      const [x, y] = [user(`x${i}`), user(`y${i}`)]
      for (const [g, group] of [randomUUID(), randomUUID()].entries()) {
        const messages = Array.from({length: 5}, (_, j) => {
          const message = raw.message(group, '', j % 2 ? x : y, `m${j}`)
          message.sk = `2026-11-2${j}T1${g}:00:00.00${i % 10}Z#${message.message_uuid}`
          return message
        })
        const last = messages.at(-1)!
        items.push(
          ...messages,
          raw.row(group, x, y, last.sk.split('#')[0], last.message),
          raw.row(group, y, x, last.sk.split('#')[0], last.message),
        )
      }
    }

    await put(table, items)
    return {ann, bob, c1, c5, newestOfC1: m3}
  }

  /** Exactly two rows per conversation, each at its newest message (by instant), every key canonical. */
  function expectHealthyRows(items: Item[]) {
    const messages = new Map<string, Item[]>()
    for (const item of items.filter((i) => i.pk.startsWith('MSG#')))
      messages.set(item.pk.slice(4), [...(messages.get(item.pk.slice(4)) ?? []), item])
    const rows = new Map<string, Item[]>()
    for (const row of items.filter((i) => i.pk.startsWith('GRP#')))
      rows.set(row.message_group_uuid, [...(rows.get(row.message_group_uuid) ?? []), row])
    expect([...rows.keys()].sort()).to.deep.equal([...messages.keys()].sort())
    for (const [group, groupRows] of rows) {
      const newest = messages
        .get(group)!
        .sort((a, b) => compareKeys(a.sk, b.sk))
        .at(-1)!
      expect(groupRows, group).to.have.length(2)
      expect(new Set(groupRows.map((row) => row.pk)).size).to.equal(2)
      for (const row of groupRows) expect(row, group).to.include({last_message_sk: newest.sk, message: newest.message})
    }

    for (const item of items.filter((i) => !i.pk.startsWith('CONV#')))
      expect(parseKeyTime(item.sk)?.canonical, item.sk).to.equal(true)
  }

  /** After a full repair: a second run finds nothing, every message of `before` is kept, every row is healthy. */
  async function expectFullyRepaired(table: string, before: Item[]): Promise<Item[]> {
    const again = await doctor(table, '--deep')
    expect(again.code, again.stderr).to.equal(0)
    expect(again.json.findings).to.deep.equal([])
    const after = await allItems(table)
    expect(messageUuids(after)).to.deep.equal(messageUuids(before))
    expectHealthyRows(after)
    return after
  }

  it('exits 0 on a healthy table', async function () {
    this.timeout(60_000)
    const table = freshTable('healthy')
    await cli(['ddb', 'schema-load', '--table', table])
    await oneConversation(table)
    const {code, json} = await doctor(table, '--deep')
    expect(code).to.equal(0)
    expect(json).to.include({conversations: 1, healthy: true, unrepaired: 0})
    expect(json.findings).to.deep.equal([])
    const human = await cli(['ddb', 'doctor', '--table', table])
    expect(human.stdout).to.include('Healthy')
  })

  it('finds each problem the app leaves, with its kind and count, and exits 10', async function () {
    this.timeout(60_000)
    const table = freshTable('sick')
    await sickTable(table)
    const shallow = await doctor(table)
    expect(shallow.code).to.equal(10)
    expect(shallow.json.healthy).to.equal(false)
    const expected = {
      'duplicate-rows': 1,
      'empty-conversation': 1,
      'missing-row': 1,
      'non-canonical-key': 0,
      'orphan-messages': 0,
      'row-key-layout': 3,
      shape: 0,
      'split-pair': 1,
      'stale-row': 4,
      'text-less-tombstone': 0,
    }
    expect(shallow.json.counts).to.deep.equal(expected)
    expect(shallow.json.findings).to.have.length(11)
    // One Scan of the index and one Query per conversation: 7 conversations have rows.
    expect(shallow.json.conversations).to.equal(7)

    const deep = await doctor(table, '--deep')
    expect(deep.code).to.equal(10)
    expect(deep.json.counts).to.deep.equal({...expected, 'non-canonical-key': 3, 'orphan-messages': 1})

    const human = await cli(['ddb', 'doctor', '--table', table])
    expect(human.code).to.equal(10)
    expect(human.stdout).to.match(/4 stale-row/)
    expect(human.stdout).to.match(/1 split-pair/)
  })

  it('--dry-run prints the plan and changes nothing', async function () {
    this.timeout(60_000)
    const table = freshTable('dry')
    await sickTable(table)
    const before = await allItems(table)
    const result = await cli(['ddb', 'doctor', '--fix', '--dry-run', '--deep', '--table', table])
    expect(result.code).to.equal(10)
    expect(result.stderr).to.include('Plan: repair')
    expect(await allItems(table)).to.have.deep.members(before)
  })

  it(
    '--fix --deep --merge-conversations repairs everything, ' + 'keeps every message, and a second run finds nothing',
    async function () {
      this.timeout(120_000)
      const table = freshTable('fix')
      const {ann, bob, c5} = await sickTable(table)
      const before = await allItems(table)
      const fixed = await doctor(table, ...FIX_ALL)
      expect(fixed.code, fixed.stderr).to.equal(0)
      expect(fixed.json.unrepaired).to.equal(0)
      expect(fixed.json.findings.every((finding) => finding.fixed)).to.equal(true)

      const after = await expectFullyRepaired(table, before)
      // The pair's two conversations are one, under the pair's derived id; the empty conversation is gone.
      const pairGroup = conversationUuidFor(ann.uuid, bob.uuid)
      const pairUuids = before
        .filter((item) => item.pk.startsWith('MSG#') && ['one', 'two', 'three', 'four'].includes(item.message))
        .map((item) => item.message_uuid)
        .sort()
      expect(
        after
          .filter((item) => item.pk === `MSG#${pairGroup}`)
          .map((item) => item.message_uuid)
          .sort(),
      ).to.deep.equal(pairUuids)
      expect(after.filter((item) => item.message_group_uuid === c5)).to.deep.equal([])
      // The -05:00 message is the newest by instant: the pair's rows show it.
      expect(after.find((item) => item.pk === `GRP#${ann.uuid}` && item.message_group_uuid === pairGroup)).to.include({
        message: 'four',
      })
    },
  )

  it('--fix without --merge-conversations repairs the rows and reports the split pair (exit 10)', async function () {
    this.timeout(120_000)
    const table = freshTable('nomerge')
    const {c1, newestOfC1} = await sickTable(table)
    const fixed = await doctor(table, '--fix', '--deep')
    expect(fixed.code).to.equal(10)
    expect(fixed.json.findings.filter((finding) => !finding.fixed).map((finding) => finding.kind)).to.deep.equal([
      'split-pair',
    ])
    const again = await doctor(table, '--deep')
    expect(again.json.findings.map((finding) => finding.kind)).to.deep.equal(['split-pair'])
    const after = await allItems(table)
    expectHealthyRows(after)
    // The message the app wrote at -05:00 now has its canonical key, and both rows point at it.
    expect(after.filter((item) => item.message_group_uuid === c1).map((row) => row.last_message_sk)).to.deep.equal([
      '2026-11-29T11:52:00.000003+00:00',
      '2026-11-29T11:52:00.000003+00:00',
    ])
    expect(after.find((item) => item.message_uuid === newestOfC1.message_uuid)?.sk).to.equal(
      '2026-11-29T11:52:00.000003+00:00',
    )
  })

  it('--fix killed half-way (SIGKILL) and run again completes with nothing lost or duplicated', async function () {
    this.timeout(300_000)
    const table = freshTable('kill')
    await sickTable(table, 40)
    const before = await allItems(table)
    const oldKeys = (items: Item[]) => items.filter((item) => item.sk.endsWith('Z') || item.sk.includes('#')).length
    const child = spawn(process.execPath, [`${ROOT}/bin/run.js`, 'ddb', 'doctor', ...FIX_ALL, '--table', table], {
      env: process.env,
      stdio: 'ignore',
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    // Half-way: once some keys are rewritten and many are left.
    const total = oldKeys(before)
    for (;;) {
      const left = oldKeys(await allItems(table))
      if (left < total * 0.8) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }

    child.kill('SIGKILL')
    await exited
    const interrupted = await allItems(table)
    expect(oldKeys(interrupted)).to.be.greaterThan(0)

    const rerun = await doctor(table, ...FIX_ALL)
    expect(rerun.code, rerun.stderr).to.equal(0)
    await expectFullyRepaired(table, before)
  })

  it('finds a table without stream and index; schema-load adds both in place, keeping every item', async function () {
    this.timeout(120_000)
    const table = await keysOnlyTable('shape')
    const group = await oneConversation(table)
    const before = await allItems(table)

    const found = await doctor(table)
    expect(found.code).to.equal(10)
    expect(found.json.counts.shape).to.equal(2)
    expect(found.json.findings.map((finding) => finding.detail).join('; ')).to.match(
      /index message-group-sk-index is missing.*no stream/,
    )
    // Rows are still checked without the index: read from the table.
    expect(found.json.conversations).to.equal(1)

    const pattern = await cli(['ddb', 'patterns', 'update-message-group', group, '--table', table])
    expect(errorLines(pattern.stderr)).to.have.length(1)
    expect(pattern.stderr).to.include('has no index message-group-sk-index')
    expect(pattern.stderr).to.include('cruddur ddb schema-load')

    const loaded = await cliJson<DdbSchemaLoadResult>(['ddb', 'schema-load', '--table', table])
    expect(loaded.code, loaded.stderr).to.equal(0)
    expect(loaded.json.created).to.equal(false)
    expect(loaded.json.changes).to.deep.equal([
      'enabled the stream (NEW_IMAGE)',
      'created the index message-group-sk-index',
    ])
    expect(await allItems(table)).to.have.deep.members(before)
    expect((await doctor(table)).code).to.equal(0)
    const human = await cli(['ddb', 'schema-load', '--table', table])
    expect(human.stdout).to.include('nothing changed')
    expect(human.stdout + human.stderr).to.not.include('--recreate')
  })

  it('doctor --fix enables the stream and creates the index in place', async function () {
    this.timeout(120_000)
    const table = await keysOnlyTable('shapefix')
    const fixed = await doctor(table, '--fix')
    expect(fixed.code, fixed.stderr).to.equal(0)
    expect(fixed.json.shapeChanges).to.have.length(2)
    expect((await doctor(table)).code).to.equal(0)
  })

  it('schema-load refuses a table with other keys, naming them', async function () {
    this.timeout(60_000)
    const table = freshTable('keys')
    await ddb.client.send(
      new CreateTableCommand({
        AttributeDefinitions: [{AttributeName: 'id', AttributeType: 'S'}],
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{AttributeName: 'id', KeyType: 'HASH'}],
        TableName: table,
      }),
    )
    const result = await cli(['ddb', 'schema-load', '--table', table])
    expect(result.code).to.equal(9)
    expect(errorLines(result.stderr)).to.have.length(1)
    expect(result.stderr).to.include('id (HASH)')
    const attempt = await doctor(table, '--fix')
    expect(attempt.code).to.equal(10)
    expect(attempt.json.findings[0]).to.include({fixed: false, kind: 'shape'})
  })

  it("--fix names a missing row's other participant by the messages when no row names them", async () => {
    const table = freshTable('missing-name')
    await cli(['ddb', 'schema-load', '--table', table])
    const [a, b] = [user('a'), user('b')]
    const group = randomUUID()
    // b's row is gone: only a's row is left, and it names b. Who a is, only a's messages say.
    const newest = raw.message(group, '2026-11-29T11:51:00.000000+00:00', a, 'from a')
    await put(table, [newest, raw.row(group, a, b, newest.sk, 'from a', newest.sk)])

    const fixed = await doctor(table, '--fix')
    expect(fixed.code, fixed.stderr).to.equal(0)
    const created = (await allItems(table)).find((item) => item.pk === `GRP#${b.uuid}`)
    expect(created).to.include({user_display_name: a.displayName, user_handle: a.handle, user_uuid: a.uuid})
  })
})

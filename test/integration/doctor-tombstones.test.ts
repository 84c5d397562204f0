/** `ddb doctor` and the tombstones earlier versions wrote without `message`, which the Cruddur app cannot read. */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'

import {DELETED_MESSAGE_TEXT} from '../../src/lib/dynamodb/items.js'
import {cli} from '../support/cli.js'
import {doctor, type Item, raw, useDoctorTables, user} from '../support/doctor.js'

describe('cruddur ddb doctor: tombstones', () => {
  const {allItems, freshTable, put} = useDoctorTables()

  it('finds tombstones and rows written without `message` (earlier versions); --fix restores it', async function () {
    this.timeout(60_000)
    const table = freshTable('tombstones')
    await cli(['ddb', 'schema-load', '--table', table])
    const [a, b] = [user('a'), user('b')]
    const group = randomUUID()
    const deletedAt = '2026-11-29T12:00:00.000Z'
    // As earlier versions deleted: `deleted_at` set, `message` removed, on the message and on the rows showing it.
    const deletedTheOldWay = ({message: _text, ...item}: Item): Item => ({...item, deleted_at: deletedAt})
    const kept = raw.message(group, '2026-11-29T11:50:00.000000+00:00', a, 'kept')
    const middle = deletedTheOldWay(raw.message(group, '2026-11-29T11:51:00.000000+00:00', b, 'gone 1'))
    const newest = deletedTheOldWay(raw.message(group, '2026-11-29T11:52:00.000000+00:00', a, 'gone 2'))
    const rows = [
      deletedTheOldWay(raw.row(group, a, b, newest.sk, 'gone 2', newest.sk)),
      deletedTheOldWay(raw.row(group, b, a, newest.sk, 'gone 2', newest.sk)),
    ]
    await put(table, [kept, middle, newest, ...rows])
    const idsOf = (items: Item[]) => items.map((item) => `${item.pk} ${item.sk}`).sort()

    // Without --deep the rows only (from the index); --deep also the messages.
    const shallow = await doctor(table)
    expect(shallow.code).to.equal(10)
    expect(shallow.json.findings.map((finding) => finding.kind)).to.deep.equal(rows.map(() => 'text-less-tombstone'))
    expect(shallow.json.findings.map((finding) => finding.id).sort()).to.deep.equal(idsOf(rows))
    const deep = await doctor(table, '--deep')
    expect(deep.json.counts['text-less-tombstone']).to.equal(4)
    expect(deep.json.findings.map((finding) => finding.id).sort()).to.deep.equal(idsOf([middle, newest, ...rows]))

    const fixed = await doctor(table, '--fix', '--deep')
    expect(fixed.code, fixed.stderr).to.equal(0)
    expect(fixed.json.findings.every((finding) => finding.fixed)).to.equal(true)
    const after = await allItems(table)
    for (const item of [middle, newest, ...rows])
      expect(after.find((i) => i.pk === item.pk && i.sk === item.sk)).to.deep.equal({
        ...item,
        message: DELETED_MESSAGE_TEXT,
      })
    expect(after.find((i) => i.sk === kept.sk)).to.deep.equal(kept)
    const again = await doctor(table, '--fix', '--deep')
    expect(again.code, again.stderr).to.equal(0)
    expect(again.json.findings).to.deep.equal([])
  })

  it('--fix gives a missing row at a deleted newest message the deleted state and text', async function () {
    this.timeout(60_000)
    const table = freshTable('deleted-newest')
    await cli(['ddb', 'schema-load', '--table', table])
    const [a, b] = [user('a'), user('b')]
    const group = randomUUID()
    const deletedAt = '2026-11-29T12:00:00.000Z'
    const first = raw.message(group, '2026-11-29T11:50:00.000000+00:00', b, 'hello')
    const newest: Item = {
      ...raw.message(group, '2026-11-29T11:51:00.000000+00:00', a, DELETED_MESSAGE_TEXT),
      deleted_at: deletedAt,
    }
    const row: Item = {...raw.row(group, a, b, newest.sk, DELETED_MESSAGE_TEXT, newest.sk), deleted_at: deletedAt}
    await put(table, [first, newest, row])

    const fixed = await doctor(table, '--fix')
    expect(fixed.code, fixed.stderr).to.equal(0)
    expect(fixed.json.findings.map((finding) => finding.kind)).to.deep.equal(['missing-row'])
    const created = (await allItems(table)).find((item) => item.pk === `GRP#${b.uuid}`)
    expect(created).to.include({deleted_at: deletedAt, last_message_sk: newest.sk, message: DELETED_MESSAGE_TEXT})
    expect((await doctor(table, '--deep')).json.findings).to.deep.equal([])
  })
})

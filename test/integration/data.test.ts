import {DynamoDBClient, PutItemCommand, QueryCommand, type AttributeValue} from '@aws-sdk/client-dynamodb'
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DdbImportResult} from '../../src/commands/ddb/import.js'
import type {DdbGetResult} from '../../src/commands/ddb/get.js'
import type {DdbQueryResult} from '../../src/commands/ddb/query.js'
import type {DdbScanResult} from '../../src/commands/ddb/scan.js'
import type {DdbSeedResult} from '../../src/commands/ddb/seed.js'
import type {GetConversationResult} from '../../src/commands/ddb/patterns/get-conversation.js'
import type {ListConversationsResult} from '../../src/commands/ddb/patterns/list-conversations.js'
import {LOCAL_CREDENTIALS} from '../../src/lib/dynamodb/client.js'
import {formatKeyTime, parseKeyTime} from '../../src/lib/dynamodb/key-time.js'
import {GROUP_INDEX} from '../../src/lib/dynamodb/schema.js'
import {testStack} from '../hooks.js'
import {cli, cliJson, errorLines, type StringItems, type WithConsumedCapacity} from '../support/cli.js'
import {addStackUsers} from '../support/database.js'

type Item = Record<string, string>

describe('cruddur ddb export, import, get, query, filters, --consumed-capacity', function () {
  // Each check runs the CLI several times; on a shared machine one run takes seconds.
  this.timeout(300_000)
  const suffix = randomUUID().slice(0, 8)
  const source = `data-test-${suffix}`
  const handles = ['ann', 'bob', 'cat'].map((name) => `${name}_${suffix}`)
  /** Not seeded: a conversation with them starts through Pattern C, marker and all. */
  const newcomer = `dan_${suffix}`
  const dir = mkdtempSync(join(tmpdir(), 'cruddur-data-test-'))
  const tables: string[] = [source]
  let client: DynamoDBClient
  let items: Item[] = []
  let groups: string[] = []

  /** A fresh table name, dropped after the tests. */
  const freshTable = (name: string) => {
    const table = `data-test-${suffix}-${name}`
    tables.push(table)
    return table
  }

  const exportOf = async (table: string, ...flags: string[]) => {
    const result = await cli(['ddb', 'export', '--table', table, '--sorted', ...flags])
    expect(result.code, result.stderr).to.equal(0)
    return result.stdout
  }

  const count = async (table: string) => (await cliJson<DdbScanResult>(['ddb', 'scan', '--table', table])).json.count
  const keysOf = (list: Array<Record<string, unknown>>) => list.map((item) => `${item.pk} ${item.sk}`).sort()

  before(async function () {
    this.timeout(120_000)
    client = new DynamoDBClient({
      credentials: LOCAL_CREDENTIALS,
      endpoint: testStack().dynamodbEndpoint,
      region: 'us-east-1',
    })
    await addStackUsers([...handles, newcomer])
    for (const command of [
      ['ddb', 'schema-load'],
      ['ddb', 'seed', '--handles', handles.join(','), '--now', '2026-01-01T00:00:00.000Z', '--messages', '7'],
    ]) {
      const result = await cli([...command, '--table', source])
      if (result.code !== 0) throw new Error(result.stderr)
    }

    // A conversation started through Pattern C also has its marker (CONV#…).
    const created = await cli([
      'ddb',
      'patterns',
      'create-message',
      'hello from the marker test',
      '--from',
      handles[0],
      '--to',
      newcomer,
      '--table',
      source,
    ])
    if (created.code !== 0) throw new Error(created.stderr)
    items = (await cliJson<StringItems<DdbScanResult>>(['ddb', 'scan', '--table', source])).json.items
    // Seeded conversations first (most messages): scan order would sometimes put the newcomer's one-message
    // conversation first, too short for the tests that page through a partition.
    const messageCounts = new Map<string, number>()
    for (const item of items.filter((item) => item.pk.startsWith('MSG#')))
      messageCounts.set(item.pk.slice(4), (messageCounts.get(item.pk.slice(4)) ?? 0) + 1)
    groups = [...messageCounts.keys()].sort((a, b) => messageCounts.get(b)! - messageCounts.get(a)!)
  })

  after(async function () {
    this.timeout(60_000)
    for (const table of tables) await cli(['ddb', 'drop', '--if-exists', '--table', table])
    client?.destroy()
  })

  for (const format of ['ndjson', 'dynamodb-json']) {
    it(`export --format ${format} --sorted, import into an empty table, export again: byte-identical`, async () => {
      const file = join(dir, `export.${format}`)
      const exported = await cli(['ddb', 'export', '--table', source, '--format', format, '--sorted', '--output', file])
      expect(exported.code, exported.stderr).to.equal(0)
      expect(exported.stderr).to.match(new RegExp(`Exported ${items.length} items in`))
      const copy = freshTable(`copy-${format}`)
      const imported = await cliJson<DdbImportResult>(['ddb', 'import', file, '--table', copy, '--create-table'])
      expect(imported.json, imported.stderr).to.include({createdTable: true, format, items: items.length})
      expect(await exportOf(copy, '--format', format)).to.equal(readFileSync(file, 'utf8'))
    })
  }

  it('an item holding every DynamoDB type comes back exactly in dynamodb-json', async () => {
    const table = freshTable('types')
    await cli(['ddb', 'schema-load', '--table', table])
    const item: Record<string, AttributeValue> = {
      binary: {B: Uint8Array.from([0, 1, 2, 253, 254, 255])},
      binaries: {BS: [Uint8Array.from([1]), Uint8Array.from([2, 3])]},
      empty: {S: ''},
      flag: {BOOL: false},
      list: {L: [{N: '1'}, {S: 'x'}, {L: [{NULL: true}, {M: {deep: {SS: ['a', 'b']}}}]}]},
      map: {M: {inner: {M: {n: {N: '-1.5E-100'}, b: {BOOL: true}}}, none: {NULL: true}}},
      nothing: {NULL: true},
      numbers: {NS: ['1', '2.5', '99999999999999999999999999999999999999']},
      precise: {N: '12345678901234567890.123456789012345678'},
      pk: {S: 'TEST#types'},
      sk: {S: 'every'},
      strings: {SS: ['one', 'two']},
    }
    await client.send(new PutItemCommand({Item: item, TableName: table}))
    const before = await cli(['ddb', 'get', 'TEST#types', 'every', '--table', table, '--format', 'dynamodb-json'])
    const file = join(dir, 'types.json')
    writeFileSync(file, await exportOf(table, '--format', 'dynamodb-json'))
    await cli(['ddb', 'drop', '--table', table])
    const imported = await cli(['ddb', 'import', file, '--table', table, '--create-table'])
    expect(imported.code, imported.stderr).to.equal(0)
    const after = await cli(['ddb', 'get', 'TEST#types', 'every', '--table', table, '--format', 'dynamodb-json'])
    expect(after.stdout).to.equal(before.stdout)
    const typed = JSON.parse(after.stdout).Item
    expect(typed.precise).to.deep.equal({N: '12345678901234567890.123456789012345678'})
    expect(typed.binary).to.deep.equal({B: Buffer.from([0, 1, 2, 253, 254, 255]).toString('base64')})
    expect(typed.numbers.NS).to.have.members(['1', '2.5', '99999999999999999999999999999999999999'])
    expect(typed.map.M.inner.M.n).to.deep.equal({N: '-1.5E-100'})
    expect(typed.list.L[2].L[1].M.deep.SS).to.have.members(['a', 'b'])
  })

  it(
    'import checks the whole input first: ' + 'a bad line 7 of 10 is exit 2 naming line 7, and nothing is written',
    async () => {
      const table = freshTable('invalid')
      await cli(['ddb', 'schema-load', '--table', table])
      const lines = Array.from({length: 10}, (_, index) =>
        JSON.stringify({message: `m${index}`, pk: 'TEST#bad', sk: `sk${index}`}),
      )
      lines[6] = JSON.stringify({message: 'no sort key', pk: 'TEST#bad'})
      const result = await cli(['ddb', 'import', '-', '--table', table], {input: lines.join('\n') + '\n'})
      expect(result.code).to.equal(2)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr).to.match(/Line 7: the item has no "sk"/)
      expect(await count(table)).to.equal(0)

      lines[6] = '{"Item": not json'
      const typed = await cli(['ddb', 'import', '-', '--table', table, '--format', 'dynamodb-json'], {
        input: lines.join('\n'),
      })
      expect(typed.code).to.equal(2)
      expect(typed.stderr).to.match(/Line 1: expected \{"Item"/)
    },
  )

  it('importing the same file twice leaves the same items', async () => {
    const table = freshTable('twice')
    const file = join(dir, 'twice.ndjson')
    writeFileSync(file, await exportOf(source))
    for (let round = 0; round < 2; round++) {
      const result = await cli(['ddb', 'import', file, '--table', table, '--create-table'])
      expect(result.code, result.stderr).to.equal(0)
      expect(await count(table)).to.equal(items.length)
    }

    expect(await exportOf(table)).to.equal(readFileSync(file, 'utf8'))
  })

  it(
    'the anonymised copy: no source text or display name, same uuids and order in patterns A and B, ' +
      'same text in two exports',
    async () => {
      const copy = freshTable('anonymous')
      await cli(['ddb', 'schema-load', '--table', copy])
      const anonymized = await exportOf(source, '--anonymize')
      expect(await exportOf(source, '--anonymize')).to.equal(anonymized)
      const imported = await cli(['ddb', 'import', '-', '--table', copy], {input: anonymized})
      expect(imported.code, imported.stderr).to.equal(0)

      const copied = await exportOf(copy)
      const secrets = new Set(items.flatMap((item) => [item.message, item.user_display_name]).filter(Boolean))
      expect(secrets.size).to.be.greaterThan(5)
      for (const secret of secrets) expect(copied, secret).to.not.include(JSON.stringify(secret))
      const copiedItems = copied
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Item)
      expect(keysOf(copiedItems)).to.deep.equal(keysOf(items))
      for (const item of copiedItems.filter((entry) => entry.message)) {
        const original = items.find((entry) => entry.pk === item.pk && entry.sk === item.sk)!
        expect([...item.message].length).to.equal([...original.message].length)
        expect(item.message).to.not.equal(original.message)
      }

      // The first user is in every conversation (the seed pairs them with each other user; Pattern C with the
      // newcomer).
      for (const handle of [handles[0]]) {
        const list = async (table: string) =>
          (
            await cliJson<ListConversationsResult>([
              'ddb',
              'patterns',
              'list-conversations',
              handle,
              '--no-cache',
              '--table',
              table,
            ])
          ).json.conversations
        const [original, anonymous] = [await list(source), await list(copy)]
        expect(anonymous.map((c) => c.messageGroupUuid)).to.deep.equal(original.map((c) => c.messageGroupUuid))
        for (const conversation of anonymous) {
          const read = async (table: string) =>
            (
              await cliJson<GetConversationResult>([
                'ddb',
                'patterns',
                'get-conversation',
                conversation.messageGroupUuid,
                '--no-cache',
                '--table',
                table,
              ])
            ).json.messages
          const [messages, anonymousMessages] = [await read(source), await read(copy)]
          expect(anonymousMessages.map((m) => m.messageUuid)).to.deep.equal(messages.map((m) => m.messageUuid))
          // A row shows its last message's replacement.
          expect(conversation.lastMessage).to.equal(anonymousMessages[0].text)
        }
      }
    },
  )

  it('get prints one item; a missing one is exit 4 with one line', async () => {
    const message = items.find((item) => item.pk.startsWith('MSG#'))!
    const found = await cliJson<DdbGetResult>(['ddb', 'get', message.pk, message.sk, '--consistent', '--table', source])
    expect(found.json.item).to.deep.equal(message)
    const missing = await cli(['ddb', 'get', message.pk, 'no-such-sk', '--table', source])
    expect(missing.code).to.equal(4)
    expect(errorLines(missing.stderr)).to.have.length(1)
    expect(missing.stderr).to.include('no-such-sk')
  })

  it('query reads a partition with each sort-key condition, the index, and pages across pages', async () => {
    const pk = `MSG#${groups[0]}`
    const partition = items
      .filter((item) => item.pk === pk)
      .map((item) => item.sk)
      .sort()
    expect(partition.length).to.be.greaterThan(4)
    const query = async (...flags: string[]) => {
      const limit = flags.includes('--limit') ? [] : ['--limit', '1000']
      const result = await cliJson<StringItems<DdbQueryResult>>([
        'ddb',
        'query',
        '--pk',
        pk,
        '--table',
        source,
        ...limit,
        ...flags,
      ])
      expect(result.code, result.stderr).to.equal(0)
      return result.json
    }

    const sks = async (...flags: string[]) => (await query(...flags)).items.map((item) => item.sk)
    expect(await sks()).to.deep.equal(partition)
    expect(await sks('--descending')).to.deep.equal([...partition].reverse())
    expect(await sks('--sk-begins-with', partition[2])).to.deep.equal([partition[2]])
    expect(await sks('--sk-between', partition[1], partition[3])).to.deep.equal(partition.slice(1, 4))
    expect(await sks('--sk-after', partition[2])).to.deep.equal(partition.slice(3))
    expect(await sks('--sk-before', partition[2])).to.deep.equal(partition.slice(0, 2))

    const rows = items
      .filter((item) => item.message_group_uuid === groups[0])
      .map((item) => item.pk)
      .sort()
    const indexed = await cliJson<StringItems<DdbQueryResult>>([
      'ddb',
      'query',
      '--index',
      GROUP_INDEX,
      '--pk',
      groups[0],
      '--table',
      source,
    ])
    expect(indexed.json.items.map((item) => item.pk).sort()).to.deep.equal(rows)
    expect(rows).to.have.length(2)

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: {items: Item[]; nextCursor: string | null} = await query(
        '--limit',
        '2',
        ...(cursor ? ['--cursor', cursor] : []),
      )
      expect(page.items.length).to.be.at.most(2)
      seen.push(...page.items.map((item) => item.sk))
      cursor = page.nextCursor
    } while (cursor)
    expect(seen).to.deep.equal(partition)

    const both = await cli(['ddb', 'query', '--pk', pk, '--sk-after', 'a', '--sk-before', 'b', '--table', source])
    expect(both.code).to.equal(2)
    expect(errorLines(both.stderr)).to.have.length(1)
  })

  it('filters on scan and export return exactly the expected items', async () => {
    const user = await cliJson<ListConversationsResult>([
      'ddb',
      'patterns',
      'list-conversations',
      handles[1],
      '--no-cache',
      '--table',
      source,
    ])
    const annUuid = user.json.conversations.find((c) => c.with.handle === handles[0])!.with.uuid
    const ofUser = items.filter(
      (item) =>
        item.pk === `GRP#${annUuid}` ||
        (item.pk.startsWith('MSG#') && item.user_uuid === annUuid) ||
        (item.pk.startsWith('CONV#') && (item.participant_uuids as unknown as string[]).includes(annUuid)),
    )
    const group = groups[1]
    const ofGroup = items.filter(
      (item) => item.pk === `MSG#${group}` || item.pk === `CONV#${group}` || item.message_group_uuid === group,
    )
    const instant = (item: Item) => parseKeyTime(item.pk.startsWith('CONV#') ? item.created_at : item.sk)!.micros
    const times = items
      .filter((item) => item.pk.startsWith('MSG#'))
      .map((item) => instant(item))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const [sinceMicros, untilMicros] = [times[3], times[8]]
    const [since, until] = [formatKeyTime(sinceMicros), formatKeyTime(untilMicros)]
    const inTime = items.filter((item) => instant(item) >= sinceMicros && instant(item) <= untilMicros)
    const cases: Array<[string[], Item[]]> = [
      [['--user', handles[0]], ofUser],
      [['--user', annUuid], ofUser],
      [['--group', group], ofGroup],
      [['--group', group, '--type', 'messages'], ofGroup.filter((item) => item.pk.startsWith('MSG#'))],
      [['--since', since, '--until', until], inTime],
      [['--user', annUuid, '--type', 'conversations'], ofUser.filter((item) => item.pk.startsWith('GRP#'))],
      [['--type', 'markers'], items.filter((item) => item.pk.startsWith('CONV#'))],
    ]
    for (const [flags, expected] of cases) {
      expect(expected.length, flags.join(' ')).to.be.greaterThan(0)
      const scanned = await cliJson<StringItems<DdbScanResult>>(['ddb', 'scan', '--table', source, ...flags])
      expect(keysOf(scanned.json.items), `scan ${flags.join(' ')}`).to.deep.equal(keysOf(expected))
      const exported = (await exportOf(source, ...flags))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Item)
      expect(keysOf(exported), `export ${flags.join(' ')}`).to.deep.equal(keysOf(expected))
    }

    for (const [flags, message] of [
      [['--since', 'yesterday'], '--since "yesterday" is not a time'],
      [['--group', 'nope'], '--group "nope" is not a uuid'],
    ] as const) {
      const result = await cli(['ddb', 'scan', '--table', source, ...flags])
      expect(result.code).to.equal(2)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr).to.include(message)
    }
  })

  it(
    '--since/--until compare instants across the sort-key forms, ' + 'on a Scan and on the Queries of --group',
    async () => {
      const table = freshTable('times')
      await cli(['ddb', 'schema-load', '--table', table])
      const group = randomUUID()
      const forms = {
        '09:00 UTC': '2026-03-01T09:00:00+00:00',
        '10:00 UTC': '2026-03-01T10:00:00.000000+00:00',
        '11:30 UTC': '2026-03-01T06:30:00.000000-05:00',
        '12:00 UTC': `2026-03-01T12:00:00.123Z#${randomUUID()}`,
        '13:00 UTC': '2026-03-01T13:00:00',
      }
      for (const sk of Object.values(forms)) {
        await client.send(
          new PutItemCommand({Item: {message: {S: 'x'}, pk: {S: `MSG#${group}`}, sk: {S: sk}}, TableName: table}),
        )
      }

      // As strings, "…06:30…-05:00" sorts before 11:00; as an instant it is 11:30 UTC.
      const expected = [forms['11:30 UTC'], forms['12:00 UTC']].sort()
      for (const flags of [[], ['--group', group]]) {
        const range = ['--since', '2026-03-01T11:00:00Z', '--until', '2026-03-01T12:30:00+00:00', ...flags]
        const scanned = await cliJson<StringItems<DdbScanResult>>(['ddb', 'scan', '--table', table, ...range])
        expect(scanned.json.items.map((item) => item.sk).sort(), flags.join(' ')).to.deep.equal(expected)
        const exported = (await exportOf(table, ...range))
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as Item).sk)
        expect(exported.sort(), flags.join(' ')).to.deep.equal(expected)
      }
    },
  )

  it(
    '--consumed-capacity reports the units DynamoDB returned: ' + 'a query and a Pattern A page read, seed writes',
    async () => {
      const pk = `MSG#${groups[0]}`
      const direct = await client.send(
        new QueryCommand({
          ExpressionAttributeValues: {':pk': {S: pk}},
          KeyConditionExpression: 'pk = :pk',
          Limit: 4,
          ReturnConsumedCapacity: 'INDEXES',
          ScanIndexForward: true,
          TableName: source,
        }),
      )
      const queried = await cliJson<WithConsumedCapacity<DdbQueryResult>>([
        'ddb',
        'query',
        '--pk',
        pk,
        '--limit',
        '3',
        '--table',
        source,
        '--consumed-capacity',
      ])
      expect(queried.json.consumedCapacity.tables[source]).to.deep.equal({
        indexes: {},
        read: direct.ConsumedCapacity!.CapacityUnits,
        write: 0,
      })

      const pageRead = ['ddb', 'patterns', 'get-conversation', groups[0], '--limit', '5', '--no-cache']
      const read = await cliJson<WithConsumedCapacity<GetConversationResult>>([
        ...pageRead,
        '--table',
        source,
        '--consumed-capacity',
      ])
      expect(read.json.consumedCapacity.read).to.be.greaterThan(0)
      expect(read.json.consumedCapacity.write).to.equal(0)
      const human = await cli([...pageRead, '--table', source, '--consumed-capacity'])
      expect(human.stderr).to.match(new RegExp(`table ${source} +read [\\d.]+ RCU +write 0 WCU`))

      const table = freshTable('capacity')
      await cli(['ddb', 'schema-load', '--table', table])
      const seeded = await cliJson<WithConsumedCapacity<DdbSeedResult>>([
        'ddb',
        'seed',
        '--table',
        table,
        '--handles',
        handles.join(','),
        '--messages',
        '4',
        '--consumed-capacity',
      ])
      const units = seeded.json.consumedCapacity.tables[table]
      expect(units.write).to.equal(seeded.json.itemsWritten)
      // Each conversation's two rows are written to the index too.
      expect(units.indexes[GROUP_INDEX].write).to.equal(2 * seeded.json.conversations)
      expect(seeded.json.consumedCapacity.write).to.equal(seeded.json.itemsWritten + 2 * seeded.json.conversations)
    },
  )
})

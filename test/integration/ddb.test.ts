import {expect} from 'chai'
import {randomUUID} from 'node:crypto'

import type {DdbSchemaLoadResult} from '../../src/commands/ddb/schema-load.js'
import type {DdbSetupResult} from '../../src/commands/ddb/setup.js'
import type {DescribeTableResult} from '../../src/commands/ddb/describe-table.js'
import type {ListTablesResult} from '../../src/commands/ddb/list-tables.js'
import type {DdbDropResult} from '../../src/commands/ddb/drop.js'
import type {DdbScanResult} from '../../src/commands/ddb/scan.js'
import type {DdbSeedResult} from '../../src/commands/ddb/seed.js'
import {addStackUsers} from '../support/database.js'
import {cli, cliJson, errorLines, type StringItems} from '../support/cli.js'

// The items' attributes are strings in this table's test data.

describe('cruddur ddb', () => {
  const suffix = randomUUID().slice(0, 8)
  const table = `ddb-test-${suffix}`
  const handles = ['ann', 'bob', 'cat', 'dan'].map((name) => `${name}_${suffix}`)
  const tableFlags = ['--table', table]
  const seedFlags = ['--handles', handles.join(','), '--now', '2026-01-01T00:00:00.000Z']

  before(async () => {
    await addStackUsers(handles)
  })

  after(async () => {
    await cli(['ddb', 'drop', '--if-exists', ...tableFlags])
  })

  it('schema-load creates the table with its index and a NEW_IMAGE stream', async () => {
    const {code, json} = await cliJson<DdbSchemaLoadResult>(['ddb', 'schema-load', ...tableFlags])
    expect(code).to.equal(0)
    expect(json.created).to.equal(true)

    const described = await cliJson<DescribeTableResult>(['ddb', 'describe-table', table])
    const description = described.json.table
    const index = description.GlobalSecondaryIndexes![0]
    expect(description.KeySchema).to.deep.equal([
      {AttributeName: 'pk', KeyType: 'HASH'},
      {AttributeName: 'sk', KeyType: 'RANGE'},
    ])
    expect(description.GlobalSecondaryIndexes).to.have.length(1)
    expect(index).to.deep.include({IndexName: 'message-group-sk-index', Projection: {ProjectionType: 'ALL'}})
    expect(index.KeySchema).to.deep.equal([
      {AttributeName: 'message_group_uuid', KeyType: 'HASH'},
      {AttributeName: 'sk', KeyType: 'RANGE'},
    ])
    expect(description.StreamSpecification).to.deep.equal({StreamEnabled: true, StreamViewType: 'NEW_IMAGE'})
    expect(description.LatestStreamArn).to.be.a('string')
  })

  it('schema-load refuses capacities for an on-demand table, creating nothing', async () => {
    const table = `${tableFlags[1]}-capacity`
    const result = await cli(['ddb', 'schema-load', '--table', table, '--read-capacity', '5'])
    expect(result.code).to.equal(2)
    expect(errorLines(result.stderr)).to.have.length(1)
    expect(result.stderr).to.include('--billing provisioned')
    expect((await cliJson<ListTablesResult>(['ddb', 'list-tables'])).json.tables).to.not.include(table)
  })

  it('schema-load on an existing table changes nothing and exits 0', async () => {
    const {code, json} = await cliJson<DdbSchemaLoadResult>(['ddb', 'schema-load', ...tableFlags])
    expect(code).to.equal(0)
    expect(json.created).to.equal(false)
  })

  it('list-tables shows the table', async () => {
    const {json} = await cliJson<ListTablesResult>(['ddb', 'list-tables'])
    expect(json.tables).to.include(table)
  })

  it('seed writes conversations × messages + 2 rows per conversation, and a second run adds nothing', async () => {
    const seed = ['ddb', 'seed', ...tableFlags, ...seedFlags, '--conversations', '3', '--messages', '7']
    const first = await cliJson<DdbSeedResult>(seed)
    expect(first.code, first.stderr).to.equal(0)
    expect(first.json).to.include({conversations: 3, itemsWritten: 3 * 7 + 2 * 3})

    const second = await cliJson<DdbSeedResult>(seed)
    expect(second.json).to.include({itemsWritten: 0, skippedConversations: 3})

    const scan = await cliJson<StringItems<DdbScanResult>>(['ddb', 'scan', ...tableFlags])
    expect(scan.json.count).to.equal(27)
  })

  it('a seeded conversation row holds its newest message, and no message is in the future', async () => {
    const {json} = await cliJson<StringItems<DdbScanResult>>(['ddb', 'scan', ...tableFlags])
    const messages = json.items.filter((item) => item.pk.startsWith('MSG#'))
    const rows = json.items.filter((item) => item.pk.startsWith('GRP#'))
    expect(rows).to.have.length(6)
    for (const row of rows) {
      const own = messages
        .filter((message) => message.pk === `MSG#${row.message_group_uuid}`)
        .sort((a, b) => a.sk.localeCompare(b.sk))
      const newest = own.at(-1)!
      expect(row.message).to.equal(newest.message)
      expect(row.sk.split('#')[0]).to.equal(newest.sk.split('#')[0])
    }

    const newestOverall = messages
      .map((message) => message.sk.split('#')[0])
      .sort()
      .at(-1)!
    expect(newestOverall <= '2026-01-01T00:00:00.000Z').to.equal(true)
  })

  it('seed with the same --seed writes the same items into another table', async () => {
    const other = `${table}-copy`
    try {
      await cli(['ddb', 'schema-load', '--table', other])
      await cli(['ddb', 'seed', '--table', other, ...seedFlags, '--conversations', '3', '--messages', '7'])
      const keys = async (name: string) => {
        const {json} = await cliJson<StringItems<DdbScanResult>>(['ddb', 'scan', '--table', name])
        return json.items.map((item) => `${item.pk} ${item.sk} ${item.message}`).sort()
      }

      expect(await keys(other)).to.deep.equal(await keys(table))
    } finally {
      await cli(['ddb', 'drop', '--if-exists', '--table', other])
    }
  })

  it('seed asks for more pairs than the users make: one clear line, nothing written', async () => {
    const result = await cli(['ddb', 'seed', ...tableFlags, ...seedFlags, '--conversations', '7'])
    expect(result.code).to.equal(2)
    expect(errorLines(result.stderr)).to.have.length(1)
    expect(result.stderr).to.include('cruddur db seed --users')
  })

  it('seed with an unknown handle says to run cruddur db setup', async () => {
    const result = await cli(['ddb', 'seed', ...tableFlags, '--handles', `nobody_${suffix},${handles[0]}`])
    expect(result.code).to.equal(4)
    expect(errorLines(result.stderr)).to.have.length(1)
    expect(result.stderr)
      .to.include(`@nobody_${suffix}:`)
      .and.include('check the spelling')
      .and.include('cruddur db setup')
  })

  describe('scan', () => {
    it('--limit stops after that many items', async () => {
      const {json} = await cliJson<StringItems<DdbScanResult>>(['ddb', 'scan', ...tableFlags, '--limit', '5'])
      expect(json.count).to.equal(5)
      expect(json.items).to.have.length(5)
    })

    it('--type picks conversation rows or messages', async () => {
      const rows = await cliJson<StringItems<DdbScanResult>>(['ddb', 'scan', ...tableFlags, '--type', 'conversations'])
      expect(rows.json.count).to.equal(6)
      expect(rows.json.items.every((item) => item.pk.startsWith('GRP#'))).to.equal(true)
      const messages = await cliJson<StringItems<DdbScanResult>>([
        'ddb',
        'scan',
        ...tableFlags,
        '--type',
        'messages',
        '--limit',
        '4',
      ])
      expect(messages.json.count).to.equal(4)
      expect(messages.json.items.every((item) => item.pk.startsWith('MSG#'))).to.equal(true)
    })

    it('--segments reads every item exactly once', async () => {
      const {json} = await cliJson<StringItems<DdbScanResult>>(['ddb', 'scan', ...tableFlags, '--segments', '4'])
      const keys = json.items.map((item) => `${item.pk}|${item.sk}`)
      expect(keys).to.have.length(27)
      expect(new Set(keys).size).to.equal(27)
    })

    it('--output ndjson prints one parsable item per line on stdout and nothing else', async () => {
      const result = await cli(['ddb', 'scan', ...tableFlags, '--output', 'ndjson', '--type', 'messages'])
      const lines = result.stdout.trim().split('\n')
      expect(lines).to.have.length(21)
      for (const line of lines) expect(JSON.parse(line).pk).to.match(/^MSG#/)
    })

    it('on a missing table: one line naming the table and `cruddur ddb schema-load`, exit 4', async () => {
      const result = await cli(['ddb', 'scan', '--table', `missing-${suffix}`])
      expect(result.code).to.equal(4)
      const lines = errorLines(result.stderr)
      expect(lines).to.have.length(1)
      expect(lines[0]).to.include(`missing-${suffix}`).and.include('cruddur ddb schema-load')
    })
  })

  it('setup twice leaves the same items as once', async () => {
    const fresh = `${table}-setup`
    try {
      const setupFlags = ['--table', fresh, ...seedFlags, '--conversations', '2', '--messages', '3']
      const first = await cliJson<DdbSetupResult>(['ddb', 'setup', ...setupFlags])
      expect(first.code, first.stderr).to.equal(0)
      const count = async () =>
        (await cliJson<StringItems<DdbScanResult>>(['ddb', 'scan', '--table', fresh])).json.count
      expect(await count()).to.equal(2 * 3 + 2 * 2)
      await cliJson(['ddb', 'setup', ...setupFlags])
      expect(await count()).to.equal(2 * 3 + 2 * 2)
    } finally {
      await cli(['ddb', 'drop', '--if-exists', '--table', fresh])
    }
  })

  describe('drop', () => {
    it('drops a table and waits until it is gone; --if-exists makes a missing table a no-op', async () => {
      const doomed = `${table}-doomed`
      await cli(['ddb', 'schema-load', '--table', doomed])
      const dropped = await cliJson<DdbDropResult>(['ddb', 'drop', doomed])
      expect(dropped.json.dropped).to.equal(true)
      const tables = await cliJson<ListTablesResult>(['ddb', 'list-tables'])
      expect(tables.json.tables).to.not.include(doomed)

      const again = await cli(['ddb', 'drop', doomed])
      expect(again.code).to.equal(4)
      expect(errorLines(again.stderr)).to.have.length(1)
      expect(again.stderr).to.include(`Table ${doomed} does not exist`).and.include('--if-exists')
      const noop = await cliJson<DdbDropResult>(['ddb', 'drop', doomed, '--if-exists'])
      expect(noop.code).to.equal(0)
      expect(noop.json.dropped).to.equal(false)
    })
  })

  describe('production guard (never reaches AWS)', () => {
    // An unroutable endpoint for the AWS SDK, should the guard ever let a request through.
    const noAws = {
      AWS_ACCESS_KEY_ID: 'invalid',
      AWS_SECRET_ACCESS_KEY: 'invalid',
      AWS_REGION: 'us-east-1',
      HTTPS_PROXY: 'http://127.0.0.1:9',
    }

    for (const args of [
      ['ddb', 'drop'],
      ['ddb', 'schema-load', '--recreate'],
      ['ddb', 'seed'],
      ['ddb', 'setup'],
    ]) {
      it(`${args.join(' ')} --prod without a terminal refuses without --yes`, async () => {
        const result = await cli([...args, '--prod'], {env: noAws})
        expect(result.code).to.equal(7)
        const lines = errorLines(result.stderr)
        expect(lines).to.have.length(1)
        expect(lines[0]).to.include('--yes')
      })
    }

    it('prints the production target before anything else', async () => {
      const result = await cli(['ddb', 'drop', '--prod', '--region', 'eu-west-1'], {env: noAws})
      expect(result.code).to.equal(7)
      expect(result.stderr.split('\n')[0]).to.include('prod AWS eu-west-1').and.include(`table cruddur-messages`)
    })

    it('names the endpoint setting --prod passes over once, with the target', async () => {
      const env = {...noAws, AWS_ENDPOINT_URL_DYNAMODB: 'http://localhost:1'}
      const result = await cli(['ddb', 'setup', '--prod', '--region', 'eu-west-1'], {env})
      expect(result.code).to.equal(7)
      const lines = result.stderr.split('\n')
      expect(lines.filter((line) => line.includes('ignores'))).to.deep.equal([
        'note: --prod ignores AWS_ENDPOINT_URL_DYNAMODB',
      ])
      expect(lines[1]).to.include('prod AWS eu-west-1')
    })
  })
})

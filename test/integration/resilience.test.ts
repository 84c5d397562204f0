import {DynamoDBClient, ScanCommand} from '@aws-sdk/client-dynamodb'
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DdbScanResult} from '../../src/commands/ddb/scan.js'
import type {DdbSeedResult} from '../../src/commands/ddb/seed.js'
import type {ListConversationsResult} from '../../src/commands/ddb/patterns/list-conversations.js'
import {LOCAL_CREDENTIALS} from '../../src/lib/aws-config.js'
import {startDynamoDbLocal} from '../../src/lib/local/dynamodb-local.js'
import {freePort} from '../../src/lib/local/ports.js'
import {defaultCacheDir} from '../../src/lib/paths.js'
import {testStack} from '../hooks.js'
import {cli, cliJson, errorLines} from '../support/cli.js'
import {addStackUsers, createTestDatabase, testDatabaseUrl} from '../support/database.js'
import {type FaultProxy, startFaultProxy} from '../support/fault-proxy.js'
import {startDroppingProxy, startSilentServer, type TcpFault} from '../support/tcp-faults.js'

/** Every item of a table, in one order, as text: two tables hold the same items when these are equal. */
async function tableItems(table: string, endpoint: string): Promise<string[]> {
  const {code, json, stderr} = await cliJson<DdbScanResult>(['ddb', 'scan', '--table', table, '--endpoint', endpoint])
  expect(code, stderr).to.equal(0)
  return json.items
    .map((item) => JSON.stringify(Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))))
    .sort()
}

async function createTable(table: string, endpoint: string): Promise<void> {
  const result = await cli(['ddb', 'schema-load', '--table', table, '--endpoint', endpoint])
  expect(result.code, result.stderr).to.equal(0)
}

describe('resilience: faults, timeouts and interruptions', () => {
  const suffix = randomUUID().slice(0, 8)
  const handles = ['ann', 'bob', 'cat', 'dan'].map((name) => `${name}_res_${suffix}`)
  const now = '2026-02-01T10:00:00.000Z'
  const plan = ['--handles', handles.join(','), '--seed', '7', '--conversations', '4', '--messages', '30']
  const clean = `resilience-clean-${suffix}`
  let cleanItems: string[]

  before(async function () {
    this.timeout(120_000)
    await addStackUsers(handles)
    const {dynamodbEndpoint} = testStack()
    await createTable(clean, dynamodbEndpoint)
    const seeded = await cli(['ddb', 'seed', '--table', clean, '--endpoint', dynamodbEndpoint, ...plan, '--now', now])
    expect(seeded.code, seeded.stderr).to.equal(0)
    cleanItems = await tableItems(clean, dynamodbEndpoint)
    expect(cleanItems).to.have.length(4 * 30 + 2 * 4)
  })

  describe('DynamoDB through a fault-injecting proxy', () => {
    let proxy: FaultProxy | undefined

    afterEach(async () => {
      await proxy?.close()
      proxy = undefined
    })

    it(
      'seed at 30% throttling, 500s, partial batches and dropped connections ' +
        'writes exactly the items of a clean run',
      async function () {
        this.timeout(180_000)
        const {dynamodbEndpoint} = testStack()
        const table = `resilience-faults-${suffix}`
        await createTable(table, dynamodbEndpoint)
        // Each fault at least once, then 30% of all requests fail.
        const rates = {error500: 0.05, partial: 0.06, reset: 0.05, throttling: 0.07, throughput: 0.07}
        proxy = await startFaultProxy({
          rates,
          script: ['throughput', 'throttling', 'error500', 'reset', 'partial', 'partial'],
          seed: 3,
          target: dynamodbEndpoint,
        })
        const result = await cli([
          'ddb',
          'seed',
          '--table',
          table,
          '--endpoint',
          proxy.endpoint,
          ...plan,
          '--now',
          now,
          '--concurrency',
          '2',
        ])
        expect(result.code, result.stderr).to.equal(0)
        for (const fault of ['error500', 'partial', 'reset', 'throttling', 'throughput'] as const)
          expect(proxy.stats.faults[fault], fault).to.be.greaterThan(0)
        expect(await tableItems(table, dynamodbEndpoint)).to.deep.equal(cleanItems)
      },
    )

    it(
      'a DynamoDB that keeps throttling past the retry time: ' + 'one line, exit 6, saying how much was written',
      async function () {
        this.timeout(120_000)
        const {dynamodbEndpoint} = testStack()
        const table = `resilience-throttled-${suffix}`
        await createTable(table, dynamodbEndpoint)
        // Two batches go through, then every write is throttled.
        proxy = await startFaultProxy({
          operations: ['BatchWriteItem'],
          rates: {throughput: 1},
          script: ['pass', 'pass'],
          target: dynamodbEndpoint,
        })
        const result = await cli(
          ['ddb', 'seed', '--table', table, '--endpoint', proxy.endpoint, ...plan, '--now', now, '--concurrency', '1'],
          {env: {CRUDDUR_RETRY_TIMEOUT: '2'}},
        )
        expect(result.code, result.stderr).to.equal(6)
        expect(errorLines(result.stderr)).to.have.length(1)
        expect(result.stderr).to.match(/ProvisionedThroughputExceededException\): 50 of 128 items written/)
      },
    )

    it('a DynamoDB that throttles the reads before any write: one line, exit 6, nothing written', async function () {
      // Past the longest backoff (5 s): a deadline recomputed at each retry would never come.
      this.timeout(60_000)
      const {dynamodbEndpoint} = testStack()
      const table = `resilience-throttled-reads-${suffix}`
      await createTable(table, dynamodbEndpoint)
      // Seed first looks for an earlier run's conversations (Queries): every one of them is throttled.
      proxy = await startFaultProxy({operations: ['Query'], rates: {throughput: 1}, target: dynamodbEndpoint})
      const result = await cli(
        ['ddb', 'seed', '--table', table, '--endpoint', proxy.endpoint, ...plan, '--now', now, '--concurrency', '1'],
        {env: {CRUDDUR_RETRY_TIMEOUT: '6'}},
      )
      expect(result.code, result.stderr).to.equal(6)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr).to.include('ProvisionedThroughputExceededException')
      expect(proxy.stats.operations.BatchWriteItem ?? 0).to.equal(0)
      expect(await tableItems(table, dynamodbEndpoint)).to.deep.equal([])
    })

    it('a DynamoDB that accepts and never answers is UNREACHABLE (exit 3) at the request timeout', async () => {
      const {dynamodbEndpoint} = testStack()
      proxy = await startFaultProxy({rates: {freeze: 1}, target: dynamodbEndpoint})
      const result = await cli(['ddb', 'seed', '--table', clean, '--endpoint', proxy.endpoint, ...plan, '--now', now], {
        env: {CRUDDUR_REQUEST_TIMEOUT: '1'},
      })
      expect(result.code, result.stderr).to.equal(3)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr).to.include(`DynamoDB is not reachable at ${proxy.endpoint}`)
    })

    it('seed interrupted by Ctrl-C, then run again without --now: the items of a clean run', async function () {
      this.timeout(120_000)
      const {dynamodbEndpoint} = testStack()
      const table = `resilience-sigint-${suffix}`
      await createTable(table, dynamodbEndpoint)
      // Three batches are written, the others hang: Ctrl-C comes in the middle of the seed.
      proxy = await startFaultProxy({
        operations: ['BatchWriteItem'],
        rates: {freeze: 1},
        script: ['pass', 'pass', 'pass'],
        target: dynamodbEndpoint,
      })
      const faults = proxy.stats.faults
      const interrupted = await cli(
        ['ddb', 'seed', '--table', table, '--endpoint', proxy.endpoint, ...plan, '--now', now],
        {
          onSpawn(child) {
            const poll = setInterval(() => {
              if (faults.freeze) {
                clearInterval(poll)
                child.kill('SIGINT')
              }
            }, 20)
            child.on('exit', () => clearInterval(poll))
          },
        },
      )
      expect(interrupted.code).to.not.equal(0)
      const partial = await tableItems(table, dynamodbEndpoint)
      expect(partial.length).to.be.within(1, cleanItems.length - 1)

      const rerun = await cliJson<DdbSeedResult>([
        'ddb',
        'seed',
        '--table',
        table,
        '--endpoint',
        dynamodbEndpoint,
        ...plan,
      ])
      expect(rerun.code, rerun.stderr).to.equal(0)
      expect(await tableItems(table, dynamodbEndpoint)).to.deep.equal(cleanItems)
      expect(rerun.json.now).to.equal(now)
    })
  })

  it(
    'seed with its DynamoDB Local killed (SIGKILL) mid-way, rerun on the restarted engine without --now: ' +
      'the items of a clean run',
    async function () {
      this.timeout(240_000)
      const dir = mkdtempSync(join(tmpdir(), 'cruddur-kill-'))
      const port = await freePort()
      let local = await startDynamoDbLocal({cacheDir: defaultCacheDir(), dir, inMemory: false, port})
      const client = new DynamoDBClient({credentials: LOCAL_CREDENTIALS, endpoint: local.endpoint, region: 'us-east-1'})
      // Big enough that one batch at a time takes a while, so the kill lands in the middle of the seed.
      const bigPlan = ['--handles', handles.join(','), '--seed', '9', '--conversations', '4', '--messages', '100']
      const total = 4 * 100 + 2 * 4
      const count = async (table: string) =>
        (await client.send(new ScanCommand({Select: 'COUNT', TableName: table}))).Count ?? 0
      try {
        await createTable('killed', local.endpoint)
        const killed = await cli(
          [
            'ddb',
            'seed',
            '--table',
            'killed',
            '--endpoint',
            local.endpoint,
            ...bigPlan,
            '--now',
            now,
            '--concurrency',
            '1',
          ],
          {
            onSpawn(child) {
              let counting = false
              const poll = setInterval(async () => {
                if (counting) return
                counting = true
                const written = await count('killed').catch(() => 0)
                counting = false
                if (written > 0) {
                  clearInterval(poll)
                  process.kill(local.pid, 'SIGKILL')
                }
              }, 20)
              child.on('exit', () => clearInterval(poll))
            },
          },
        )
        expect(killed.code, killed.stdout).to.not.equal(0)

        local = await startDynamoDbLocal({cacheDir: defaultCacheDir(), dir, inMemory: false, port})
        expect(await count('killed')).to.be.within(1, total - 1)
        const rerun = await cli(['ddb', 'seed', '--table', 'killed', '--endpoint', local.endpoint, ...bigPlan])
        expect(rerun.code, rerun.stderr).to.equal(0)

        await createTable('clean', local.endpoint)
        const seeded = await cli([
          'ddb',
          'seed',
          '--table',
          'clean',
          '--endpoint',
          local.endpoint,
          ...bigPlan,
          '--now',
          now,
        ])
        expect(seeded.code, seeded.stderr).to.equal(0)
        const expected = await tableItems('clean', local.endpoint)
        expect(expected).to.have.length(total)
        expect(await tableItems('killed', local.endpoint)).to.deep.equal(expected)
      } finally {
        client.destroy()
        try {
          process.kill(local.pid, 'SIGKILL')
        } catch {}

        rmSync(dir, {force: true, recursive: true})
      }
    },
  )

  it('a timeout setting that is not a number of seconds: one line naming it, exit 2', async () => {
    const result = await cli(['ddb', 'list-tables'], {env: {CRUDDUR_REQUEST_TIMEOUT: 'soon'}})
    expect(result.code, result.stderr).to.equal(2)
    expect(errorLines(result.stderr)).to.have.length(1)
    expect(result.stderr).to.include('CRUDDUR_REQUEST_TIMEOUT="soon" is not a number of seconds')
  })

  describe('PostgreSQL', () => {
    let server: TcpFault | undefined

    afterEach(async () => {
      await server?.close()
      server = undefined
    })

    it('a PostgreSQL that accepts and never answers is UNREACHABLE (exit 3) at the connect timeout', async () => {
      server = await startSilentServer()
      const url = `postgresql://postgres:password@127.0.0.1:${server.port}/cruddur`
      const result = await cli(['db', 'sessions', '--database-url', url], {env: {CRUDDUR_CONNECT_TIMEOUT: '1'}})
      expect(result.code, result.stderr).to.equal(3)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr).to.include(
        `PostgreSQL at postgresql://postgres:****@127.0.0.1:${server.port}/cruddur is not answering`,
      )
    })

    it('PostgreSQL gone in the middle of a transaction: one line, exit 3, no crash', async () => {
      const database = await createTestDatabase('resilience', {schema: false})
      try {
        server = await startDroppingProxy(testStack().postgresPort, 'BEGIN')
        const url = new URL(testDatabaseUrl(database.name))
        url.port = String(server.port)
        const result = await cli(['db', 'schema-load', '--database-url', url.toString()])
        expect(result.stderr).to.not.include('Unhandled')
        expect(errorLines(result.stderr), result.stderr).to.have.length(1)
        expect(result.stderr).to.include('closed the connection in the middle of a command')
        expect(result.code).to.equal(3)
      } finally {
        await database.drop()
      }
    })
  })

  it('a Momento cache that accepts and never answers: the read prints its page and the process exits', async () => {
    const server = await startSilentServer()
    try {
      const {dynamodbEndpoint} = testStack()
      const result = await cliJson<ListConversationsResult>(
        [
          'ddb',
          'patterns',
          'list-conversations',
          handles[0],
          '--table',
          clean,
          '--endpoint',
          dynamodbEndpoint,
          '--cache',
        ],
        {env: {MOMENTO_LOCAL_ENDPOINT: `127.0.0.1:${server.port}`}},
      )
      expect(result.code, result.stderr).to.equal(0)
      expect(result.json.fromCache).to.equal(false)
      expect(result.json.conversations).to.be.an('array')
      expect(server.connections).to.be.greaterThan(0)
    } finally {
      await server.close()
    }
  })
})

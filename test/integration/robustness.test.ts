import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'
import {PutCommand} from '@aws-sdk/lib-dynamodb'

import type {DdbScanResult} from '../../src/commands/ddb/scan.js'
import type {ListTablesResult} from '../../src/commands/ddb/list-tables.js'
import {batchWriteAll} from '../../src/lib/dynamodb/batch-write.js'
import {type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {messageItem, timestamp} from '../../src/lib/dynamodb/items.js'
import {MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {dropTable, loadTableSchema} from '../../src/lib/dynamodb/table-admin.js'
import {databaseName} from '../../src/lib/postgres/database.js'
import {readState} from '../../src/lib/stack-state.js'
import {testStack} from '../hooks.js'
import {testDynamoDbClients} from '../support/tables.js'
import {cli, cliInTerminal, cliJson, errorLines, ROOT, type ErrorJson} from '../support/cli.js'
import {createTestDatabase, testDatabaseUrl, type TestDatabase} from '../support/database.js'

/** Characters that act on a terminal: ESC, BEL, the right-to-left override. */
const rawControls = (text: string) => ['\u001B', '\u0007', '\u202E'].filter((char) => text.includes(char))

/** A TCP port that records every connection made to it: proof that a command reached no network. */
async function recordingListener(): Promise<{connections: () => number; port: number; close: () => Promise<void>}> {
  let count = 0
  const server: Server = createServer((socket) => {
    count++
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    close: () => new Promise((resolve) => server.close(() => resolve())),
    connections: () => count,
    port: (server.address() as {port: number}).port,
  }
}

/** Runs the binary and closes its stdout after the first line, as `| head -1` does. */
function firstLineThenClose(args: string[]): Promise<{code: number | null; line: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.includes('\n')) child.stdout.destroy()
    })
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, line: out.split('\n')[0], stderr}))
  })
}

describe('robustness: the exit-code contract, masking and terminal safety', () => {
  describe('unknown commands and extra arguments', () => {
    for (const args of [
      ['nosuch'],
      ['ddb', 'nosuch'],
      ['ddb', 'list-tables', 'extra'],
      ['local', 'status', 'one', 'two'],
    ]) {
      it(`\`${args.join(' ')}\` is a usage error: exit 2, one line, JSON under --json`, async () => {
        const result = await cli(args)
        expect(result.code).to.equal(2)
        expect(errorLines(result.stderr)).to.have.length(1)
        expect(result.stderr)
          .to.match(/^Error: /)
          .and.include(args.at(-1))
        const {code, json, stderr} = await cliJson<ErrorJson>(args)
        expect(code).to.equal(2)
        expect(json.error).to.include({code: 'INVALID_INPUT', exitCode: 2})
        expect(stderr).to.equal('')
      })
    }

    for (const args of [
      ['ddb', 'list-tables', 'postgresql://someone:s3cret@db.example:5432/cruddur'],
      ['dbb', 'postgresql://someone:s3cret@db.example:5432/cruddur'],
    ]) {
      it(`\`${args[0]} … <URL>\`: the URL as typed, its password masked; --json still answers JSON`, async () => {
        // oclif joins the words into a command id with ':' and then loses the words after a URL's colons.
        const result = await cli(args)
        expect(result.code).to.equal(2)
        expect(errorLines(result.stderr)).to.have.length(1)
        expect(result.stderr).to.include('postgresql://someone:').and.include('@db.example:5432/cruddur')
        expect(result.stderr).not.to.include('s3cret')
        const {code, json, stderr} = await cliJson<ErrorJson>(args)
        expect(code).to.equal(2)
        expect(json.error).to.include({code: 'INVALID_INPUT', exitCode: 2})
        expect(json.error.message).to.include('@db.example:5432/cruddur').and.not.include('s3cret')
        expect(stderr).to.equal('')
      })
    }

    it('NO_COLOR wins over FORCE_COLOR, without a warning on stderr', async () => {
      const {code, stderr, stdout} = await cli(['ddb', '--help'], {env: {FORCE_COLOR: '1', NO_COLOR: '1'}})
      expect(code).to.equal(0)
      expect(stderr).to.equal('')
      expect(stdout).to.include('USAGE').and.not.include('\u001B[')
    })

    it('NO_COLOR holds for an unknown command as for any other error', async () => {
      for (const args of [['dbb'], ['ddb', 'list-tables', '--limit', 'x']]) {
        const colour = await cli(args, {env: {FORCE_COLOR: '1'}})
        expect(colour.stderr, args.join(' ')).to.include('\u001B[')
        const plain = await cli(args, {env: {FORCE_COLOR: '1', NO_COLOR: '1'}})
        expect(plain.stderr, args.join(' '))
          .to.match(/^Error: /)
          .and.not.include('\u001B[')
      }
    })
  })

  describe('malformed URLs are refused before any network', () => {
    let listener: Awaited<ReturnType<typeof recordingListener>>
    beforeEach(async () => {
      listener = await recordingListener()
    })
    afterEach(() => listener.close())

    for (const [what, url] of [
      ['not a URL', () => 'garbage'],
      ['another database (mysql://)', () => `mysql://root:pw@127.0.0.1:${listener.port}/cruddur`],
      ['an unencoded # in the password', () => `postgresql://postgres:pa#ss@127.0.0.1:${listener.port}/cruddur`],
      ['no server', () => 'postgresql:///cruddur'],
    ] as const) {
      it(`--database-url ${what}: exit 2, one line, no connection`, async () => {
        const result = await cli(['db', 'seed', '--database-url', url()])
        expect(result.code, result.stderr).to.equal(2)
        expect(errorLines(result.stderr)).to.have.length(1)
        expect(result.stderr).to.include('PostgreSQL URL')
        expect(listener.connections()).to.equal(0)
      })
    }
  })

  describe("endpoints where something else answers: one line, not the parser's text", () => {
    it('a gRPC port (the Momento stand-in) as DynamoDB: exit 3', async () => {
      const momento = readState(testStack().stateDir).momento!
      const result = await cli(['ddb', 'list-tables', '--endpoint', `http://127.0.0.1:${momento.port}`])
      expect(result.code).to.equal(3)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr)
        .to.include(`http://127.0.0.1:${momento.port}`)
        .and.include('--endpoint')
        .and.not.include('Parse Error')
    })

    it('the Cognito port as DynamoDB: exit 3', async () => {
      const result = await cli(['ddb', 'list-tables', '--endpoint', testStack().cognitoEndpoint])
      expect(result.code).to.equal(3)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr).to.include('Something other than DynamoDB').and.not.include('x-amz-target')
    })

    it('https to a plain-http DynamoDB: exit 2, saying to use http://', async () => {
      const result = await cli(['ddb', 'list-tables', '--endpoint', `https://localhost:${testStack().dynamodbPort}`])
      expect(result.code).to.equal(2)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr).to.include('http://').and.not.include('ssl3_get_record')
    })
  })

  describe('masking, wherever a URL is shown', () => {
    const SECRET = 'S3cr3t-pw'

    it('userinfo in a DynamoDB endpoint: target line, error line and --json', async () => {
      const endpoint = `http://admin:${SECRET}@localhost:${testStack().dynamodbPort}`
      const ok = await cliJson<ListTablesResult>(['ddb', 'list-tables', '--endpoint', endpoint])
      expect(ok.code).to.equal(0)
      expect(ok.json.target.endpoint).to.equal(`http://admin:****@localhost:${testStack().dynamodbPort}`)
      const shown = await cli(['ddb', 'scan', '--table', `missing-${randomUUID()}`, '--endpoint', endpoint])
      expect(shown.code).to.equal(4)
      expect(shown.stderr).to.include('→ local http://admin:****@localhost').and.include('Error: Table')
      const failed = await cliJson<ErrorJson>([
        'ddb',
        'list-tables',
        '--endpoint',
        `http://admin:${SECRET}@127.0.0.1:1`,
      ])
      expect(failed.code).to.equal(3)
      expect(failed.json.error.message).to.include('http://admin:****@127.0.0.1:1')
      for (const output of [ok.stdout, ok.stderr, shown.stdout, shown.stderr, failed.stdout, failed.stderr])
        expect(output).to.not.include(SECRET)
    })

    it('userinfo in a Cognito endpoint and a Momento endpoint', async () => {
      const update = ['db', 'update-cognito-user-ids', '--cognito-endpoint', `http://admin:${SECRET}@127.0.0.1:1`]
      const cognito = await cli([...update, '--user-pool-id', 'x'])
      const cognitoJson = await cliJson<ErrorJson>([...update, '--user-pool-id', 'x'])
      expect(cognito.code).to.equal(3)
      expect(cognito.stderr)
        .to.include('cognito local http://admin:****@127.0.0.1:1')
        .and.include('Cognito is not reachable at http://admin:****@')
      const momento = await cli(['momento', 'list-caches', '--momento-endpoint', `grpc://admin:${SECRET}@127.0.0.1:1`])
      expect(momento.code).to.equal(2)
      expect(momento.stderr).to.include('admin:****@')
      for (const output of [cognito.stderr, cognitoJson.stdout, momento.stderr]) expect(output).to.not.include(SECRET)
    })

    for (const password of ['pZq@sQk#wXv/rdY', 'aQz/bWx?cEv']) {
      it(`a PostgreSQL password with reserved characters (${password}) never shows`, async () => {
        const url = `postgresql://postgres:${password}@127.0.0.1:1/cruddur`
        const text = await cli(['db', 'seed', '--database-url', url])
        const json = await cliJson<ErrorJson>(['db', 'seed', '--database-url', url])
        expect(text.code).to.be.oneOf([2, 3])
        expect(errorLines(text.stderr)).to.have.length(1)
        for (const output of [text.stdout, text.stderr, json.stdout]) {
          expect(output).to.not.include(password)
          for (const part of password.split(/[@#/?%]/).filter((p) => p.length > 2)) expect(output).to.not.include(part)
        }
      })
    }

    it(
      'a password in the query (?password= and &sslpassword=) ' + 'is masked in the target line, errors and --json',
      async () => {
        const url = `postgresql://127.0.0.1:1/cruddur?user=postgres&password=${SECRET}&sslpassword=${SECRET}2`
        const text = await cli(['db', 'seed', '--database-url', url])
        const json = await cliJson<ErrorJson>(['db', 'seed', '--database-url', url])
        expect(text.code).to.equal(3)
        expect(text.stderr).to.include('?user=postgres&password=****&sslpassword=****')
        expect(json.json.error.message).to.include('password=****')
        for (const output of [text.stderr, json.stdout]) expect(output).to.not.include(SECRET)
      },
    )
  })

  describe('terminal safety: control characters made visible, exact in --json', () => {
    const table = `cruddur-terminal-${randomUUID().slice(0, 8)}`
    const text = 'hi\u001B]0;pwned\u0007 \u001B[2J \u202Eevil\nsecond line'
    const group = randomUUID()
    let ddb: DynamoDbClients

    before(async () => {
      ddb = testDynamoDbClients(table)
      await loadTableSchema(ddb.client, {tableName: table})
      const sender = {displayName: 'Mallory\u001B[31m', handle: 'mallory\u202E', uuid: randomUUID()}
      const item = messageItem({
        createdAt: timestamp(new Date('2026-01-02T03:04:05Z')),
        messageGroupUuid: group,
        messageUuid: randomUUID(),
        sender,
        text,
      })
      await ddb.doc.send(new PutCommand({Item: item, TableName: table}))
    })
    after(async () => {
      await dropTable(ddb.client, table, {ifExists: true})
      ddb.client.destroy()
    })

    it('a table (cli-table3) shows ESC and bidi overrides as escapes', async () => {
      const result = await cli(['ddb', 'patterns', 'get-conversation', group, '--table', table])
      expect(result.code, result.stderr).to.equal(0)
      expect(rawControls(result.stdout)).to.deep.equal([])
      expect(result.stdout).to.include('\\x1b]0;pwned\\x07').and.include('\\u202eevil').and.include('@mallory\\u202e')
    })

    it('ddb scan shows them as escapes, newlines too; ndjson and --json keep the exact text', async () => {
      const shown = await cli(['ddb', 'scan', '--table', table])
      expect(shown.code).to.equal(0)
      expect(rawControls(shown.stdout)).to.deep.equal([])
      expect(shown.stdout.trim().split('\n')).to.have.length(2)
      // The column is cut to the terminal's width: the start of the text is what shows.
      expect(shown.stdout).to.include('hi\\x1b]0;pwned\\x07 \\x1b[2J')
      const ndjson = await cli(['ddb', 'scan', '--table', table, '--output', 'ndjson'])
      expect((JSON.parse(ndjson.stdout) as DdbScanResult['items'][number]).message).to.equal(text)
      const json = await cliJson<DdbScanResult>(['ddb', 'scan', '--table', table])
      expect(json.json.items[0].message).to.equal(text)
    })

    it('echoed input cannot forge a second `Error:` line or reach the terminal raw', async () => {
      const handle = 'nobody\nError: forged\u001B[2J\u202E'
      const result = await cli(['ddb', 'patterns', 'get-conversation', handle])
      expect(result.code).to.equal(2)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(rawControls(result.stderr)).to.deep.equal([])
      expect(result.stderr).to.include('nobody\\nError: forged\\x1b[2J\\u202e')
      const unknown = await cli([handle])
      expect(errorLines(unknown.stderr)).to.have.length(1)
      expect(rawControls(unknown.stderr)).to.deep.equal([])
      const json = await cliJson<ErrorJson>(['ddb', 'patterns', 'get-conversation', handle])
      expect(json.json.error.message).to.include(handle)
    })
  })

  describe('a closed stdout ends quietly with 0', () => {
    const table = `cruddur-epipe-${randomUUID().slice(0, 8)}`
    let ddb: DynamoDbClients

    before(async function () {
      this.timeout(120_000)
      ddb = testDynamoDbClients(table)
      await loadTableSchema(ddb.client, {tableName: table})
      // More than a pipe holds (64 KiB), so the writer is still writing when the reader goes away.
      const filler = 'x'.repeat(200)
      const items = Array.from({length: 1500}, (_, i) => ({
        message: filler,
        pk: `MSG#${randomUUID()}`,
        sk: `2026-01-01T00:00:00.000Z#${i}`,
      }))
      await batchWriteAll(new MessagesTable({doc: ddb.doc, name: table}), items)
    })
    after(async () => {
      await dropTable(ddb.client, table, {ifExists: true})
      ddb.client.destroy()
    })

    it('ddb scan --output ndjson | head -1', async () => {
      const result = await firstLineThenClose(['ddb', 'scan', '--table', table, '--output', 'ndjson'])
      expect(result.code, result.stderr).to.equal(0)
      expect(JSON.parse(result.line)).to.have.property('pk')
      expect(result.stderr).to.not.include('Error')
    })

    it("ddb scan --output ndjson --consumed-capacity | head -1 still runs the command's cleanup", async () => {
      const result = await firstLineThenClose([
        'ddb',
        'scan',
        '--table',
        table,
        '--output',
        'ndjson',
        '--consumed-capacity',
      ])
      expect(result.code, result.stderr).to.equal(0)
      expect(JSON.parse(result.line)).to.have.property('pk')
      // Printed by the command's finally, where its clients are closed: a process.exit on EPIPE skipped it.
      expect(result.stderr).to.include('consumed capacity (total: read')
      expect(result.stderr).to.not.include('Error')
    })

    it('ddb stream tail --json | head -1', async () => {
      const result = await firstLineThenClose(['ddb', 'stream', 'tail', '--table', table, '--from', 'start', '--json'])
      expect(result.code, result.stderr).to.equal(0)
      expect(JSON.parse(result.line)).to.have.property('eventName')
      expect(result.stderr).to.not.include('Error')
    })
  })

  describe('ddb scan of a missing table', () => {
    it('prints no header before the error', async () => {
      const result = await cli(['ddb', 'scan', '--table', `missing-${randomUUID()}`])
      expect(result.code).to.equal(4)
      expect(result.stdout).to.equal('')
      expect(errorLines(result.stderr)).to.have.length(1)
    })
  })

  describe('db seed and db setup on --prod ask first', () => {
    let db: TestDatabase
    before(async function () {
      this.timeout(60_000)
      db = await createTestDatabase('robustness_prod')
    })
    after(() => db.drop())
    const users = async () => Number((await db.pool.query<{count: string}>('SELECT count(*) FROM users')).rows[0].count)

    it('db seed --prod without --yes and without a terminal: exit 7, one line, nothing written', async () => {
      const result = await cli(['db', 'seed', '--prod'], {env: {PROD_CONNECTION_URL: db.url}})
      expect(result.code).to.equal(7)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr).to.include('--yes')
      expect(await users()).to.equal(0)
    })

    it('db setup --prod without --yes: exit 7, no database created', async () => {
      const url = testDatabaseUrl(`robustness_never_${randomUUID().slice(0, 8)}`)
      const result = await cliJson<ErrorJson>(['db', 'setup', '--prod'], {env: {PROD_CONNECTION_URL: url}})
      expect(result.code).to.equal(7)
      expect(result.json.error.code).to.equal('CONFIRMATION_REQUIRED')
      const {rows} = await db.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName(url)])
      expect(rows).to.deep.equal([])
    })

    for (const [key, input] of [
      ['Ctrl-C', '\u0003'],
      ['Ctrl-D', '\u0004'],
    ] as const) {
      it(`${key} at the production prompt: exit 7, nothing written`, async () => {
        const result = await cliInTerminal(['db', 'seed', '--prod'], input, {env: {PROD_CONNECTION_URL: db.url}})
        expect(result.code, result.stdout).to.equal(7)
        expect(result.stdout).to.include('Type "yes"').and.include('Not confirmed, nothing was changed')
        expect(await users()).to.equal(0)
      })
    }

    it('--yes seeds production', async () => {
      const result = await cli(['db', 'seed', '--prod', '--yes'], {env: {PROD_CONNECTION_URL: db.url}})
      expect(result.code, result.stderr).to.equal(0)
      expect(await users()).to.equal(3)
    })
  })
})

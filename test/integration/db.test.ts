import {expect} from 'chai'
import type {ChildProcess} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pg from 'pg'

import type {DbCreateResult} from '../../src/commands/db/create.js'
import type {DbSchemaLoadResult} from '../../src/commands/db/schema-load.js'
import type {DbSessionsResult} from '../../src/commands/db/sessions.js'
import type {DbDropResult} from '../../src/commands/db/drop.js'
import type {DbSetupResult} from '../../src/commands/db/setup.js'
import type {DbSeedResult} from '../../src/commands/db/seed.js'
import {freePort} from '../../src/lib/local/ports.js'
import {hasProgram} from '../../src/lib/local/process.js'
import {databaseName} from '../../src/lib/postgres/database.js'
import {testStack} from '../hooks.js'
import {cli, cliInTerminal, cliJson, errorLines, type ErrorJson} from '../support/cli.js'
import {createTestDatabase, insertUsers, type TestDatabase, testDatabaseUrl} from '../support/database.js'

describe('cruddur db', () => {
  let db: TestDatabase
  const inDb = (args: string[]) => [...args, '--database-url', db.url]

  before(async () => {
    db = await createTestDatabase('cruddur_db_test', {schema: false})
  })

  after(async () => {
    await db?.drop()
  })

  it('create on an existing database changes nothing and says so', async () => {
    const {code, json} = await cliJson<DbCreateResult>(inDb(['db', 'create']))
    expect(code).to.equal(0)
    expect(json).to.include({created: false, database: db.name})
  })

  it('schema-load twice: the first applies the migrations, the second nothing, and the tables are there', async () => {
    const first = await cliJson<DbSchemaLoadResult>(inDb(['db', 'schema-load']))
    expect(first.code, first.stderr).to.equal(0)
    expect(first.json.applied).to.deep.equal([1])
    const second = await cliJson<DbSchemaLoadResult>(inDb(['db', 'schema-load']))
    expect(second.code).to.equal(0)
    expect(second.json).to.deep.include({applied: [], version: first.json.version})
    const {rows} = await db.pool.query<{column_name: string}>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY column_name",
    )
    expect(rows.map((row) => row.column_name)).to.deep.equal([
      'cognito_user_id',
      'created_at',
      'display_name',
      'email',
      'handle',
      'uuid',
    ])
  })

  it('seed adds the three seed users with cognito_user_id unset, and a second run adds nothing', async () => {
    const first = await cliJson<DbSeedResult>(inDb(['db', 'seed']))
    expect(first.code, first.stderr).to.equal(0)
    expect(first.json.inserted).to.have.members(['andrewbrown', 'bayko', 'londo'])
    const {rows} = await db.pool.query('SELECT display_name, handle, cognito_user_id FROM users ORDER BY handle')
    expect(rows).to.deep.equal([
      {cognito_user_id: null, display_name: 'Andrew Brown', handle: 'andrewbrown'},
      {cognito_user_id: null, display_name: 'Andrew Bayko', handle: 'bayko'},
      {cognito_user_id: null, display_name: 'Londo Mollari', handle: 'londo'},
    ])

    const second = await cliJson<DbSeedResult>(inDb(['db', 'seed']))
    expect(second.json).to.deep.equal({...second.json, inserted: [], skipped: 3, total: 3})
  })

  it('seed --users N --seed S adds N generated users, the same ones on every run', async () => {
    const first = await cliJson<DbSeedResult>(inDb(['db', 'seed', '--users', '25', '--seed', '7']))
    expect(first.code, first.stderr).to.equal(0)
    expect(first.json.inserted).to.have.length(25)
    const again = await cliJson<DbSeedResult>(inDb(['db', 'seed', '--users', '25', '--seed', '7']))
    expect(again.json.inserted).to.deep.equal([])
    expect(again.json.total).to.equal(first.json.total)

    // The same seed elsewhere makes the same people.
    const other = await createTestDatabase('cruddur_db_test_seed')
    try {
      const elsewhere = await cliJson<DbSeedResult>([
        'db',
        'seed',
        '--users',
        '25',
        '--seed',
        '7',
        '--database-url',
        other.url,
      ])
      expect(elsewhere.json.inserted).to.have.members(['andrewbrown', 'bayko', 'londo', ...first.json.inserted])
    } finally {
      await other.drop()
    }
  })

  it(
    'seed --users N without --seed is just as repeatable: ' + 'a rerun adds nothing, another --seed adds others',
    async () => {
      const first = await cliJson<DbSeedResult>(inDb(['db', 'seed', '--users', '5']))
      expect(first.code, first.stderr).to.equal(0)
      expect((await cliJson<DbSeedResult>(inDb(['db', 'seed', '--users', '5']))).json.inserted).to.deep.equal([])
      expect(
        (await cliJson<DbSeedResult>(inDb(['db', 'seed', '--users', '5', '--seed', '99']))).json.inserted,
      ).to.have.length(5)
    },
  )

  it('handles are unique whatever their case', async () => {
    let failure: {code?: string} | undefined
    try {
      await insertUsers(db.pool, [{handle: 'LONDO'}])
    } catch (error) {
      failure = error as {code?: string}
    }

    expect(failure?.code).to.equal('23505')
    const {rows} = await db.pool.query("SELECT handle FROM users WHERE lower(handle) = 'londo'")
    expect(rows).to.have.length(1)
  })

  it('sessions lists the other connections to the database', async () => {
    const client = new pg.Client({application_name: 'db-test-session', connectionString: db.url})
    await client.connect()
    try {
      const {code, json} = await cliJson<DbSessionsResult>(inDb(['db', 'sessions']))
      expect(code).to.equal(0)
      const mine = json.sessions.find((s) => s.application === 'db-test-session')
      expect(mine).to.include({user: 'postgres', state: 'idle'})
      const human = await cli(inDb(['db', 'sessions']))
      expect(human.stdout).to.include(String(mine!.pid)).and.include('db-test-session')
    } finally {
      await client.end()
    }
  })

  it('setup creates a missing database, loads the schema and seeds it; again, it changes nothing', async () => {
    const url = testDatabaseUrl(`cruddur_db_test_setup_${process.pid}`)
    try {
      const first = await cliJson<DbSetupResult>(['db', 'setup', '--database-url', url])
      expect(first.code, first.stderr).to.equal(0)
      expect(first.json.created).to.equal(true)
      expect(first.json.schema.applied).to.deep.equal([1])
      expect(first.json.seed.inserted).to.have.length(3)
      const again = await cliJson<DbSetupResult>(['db', 'setup', '--database-url', url])
      expect(again.json).to.deep.include({created: false})
      expect(again.json.schema.applied).to.deep.equal([])
      expect(again.json.seed.inserted).to.deep.equal([])
    } finally {
      await cli(['db', 'drop', '--database-url', url, '--yes'])
    }
  })

  describe('drop', () => {
    it('with another session connected, lists it and refuses; with --yes, disconnects it and drops', async () => {
      const victim = await createTestDatabase('cruddur_db_test_drop')
      const client = new pg.Client({application_name: 'db-test-holdout', connectionString: victim.url})
      client.on('error', () => {})
      await client.connect()
      const {rows} = await client.query<{pid: number}>('SELECT pg_backend_pid() AS pid')
      try {
        const refused = await cli(['db', 'drop', '--database-url', victim.url])
        expect(refused.code).to.equal(7)
        expect(refused.stderr).to.include('db-test-holdout')
        expect(errorLines(refused.stderr).filter((line) => line.startsWith('Error'))).to.have.length(1)
        expect(refused.stderr).to.match(new RegExp(`Error: .*pid ${rows[0].pid}.*--yes`))
        expect((await client.query('SELECT 1 AS one')).rows).to.deep.equal([{one: 1}])

        const dropped = await cliJson<DbDropResult>(['db', 'drop', '--database-url', victim.url, '--yes'])
        expect(dropped.code, dropped.stderr).to.equal(0)
        expect(dropped.json.dropped).to.equal(true)
        expect(dropped.json.disconnected.map((s) => s.pid)).to.include(rows[0].pid)
        const gone = await cliJson<ErrorJson>(['db', 'schema-load', '--database-url', victim.url])
        expect(gone.code).to.equal(4)
        expect(gone.json.error.code).to.equal('DATABASE_MISSING')
      } finally {
        await client.end().catch(() => {})
        await victim.drop()
      }
    })

    it('in a terminal, with a session connected, asks: "no" keeps the database, "yes" drops it', async () => {
      const victim = await createTestDatabase('cruddur_db_test_prompt')
      const client = new pg.Client({application_name: 'db-test-prompted', connectionString: victim.url})
      client.on('error', () => {})
      await client.connect()
      try {
        const kept = await cliInTerminal(['db', 'drop', '--database-url', victim.url], 'no\n')
        expect(kept.code, kept.stdout).to.equal(7)
        expect(kept.stdout).to.include('db-test-prompted').and.include('Disconnect them and drop')
        expect((await client.query('SELECT 1 AS one')).rows).to.deep.equal([{one: 1}])
        const dropped = await cliInTerminal(['db', 'drop', '--database-url', victim.url], 'yes\n')
        expect(dropped.code, dropped.stdout).to.equal(0)
        expect(dropped.stdout).to.include('Dropped database cruddur_db_test_prompt')
      } finally {
        await client.end().catch(() => {})
        await victim.drop()
      }
    })

    it('on --prod refuses without a terminal or --yes, and drops nothing', async () => {
      const {code, stderr} = await cli(['db', 'drop', '--prod'], {env: {PROD_CONNECTION_URL: db.url}})
      expect(code).to.equal(7)
      expect(errorLines(stderr)).to.have.length(1)
      expect(stderr).to.include('--yes')
      // Still there: the refusal dropped nothing.
      const {rows} = await db.pool.query('SELECT current_database() AS name')
      expect(rows[0].name).to.equal(databaseName(db.url))
    })

    it('a missing database is not an error', async () => {
      const {code, json} = await cliJson<DbDropResult>([
        'db',
        'drop',
        '--database-url',
        testDatabaseUrl('cruddur_db_test_never_created'),
      ])
      expect(code).to.equal(0)
      expect(json.dropped).to.equal(false)
    })
  })

  describe('connect', () => {
    it('runs psql on the target, with the arguments after --', async function () {
      if (!hasProgram('psql', ['--version'])) this.skip()
      const {code, stdout} = await cli([
        'db',
        'connect',
        '--database-url',
        db.url,
        '--',
        '-At',
        '-c',
        "SELECT handle FROM users WHERE handle = 'bayko'",
      ])
      expect(code).to.equal(0)
      expect(stdout.trim()).to.equal('bayko')
    })

    describe('how psql is started (a stand-in psql on PATH records it)', () => {
      let bin: string
      let record: string
      // Writes its arguments, PGPASSWORD and pid; with FAKE_PSQL_WAIT it notes a SIGINT and exits 0 later.
      const fakePsql = `#!/usr/bin/env node
const fs = require('node:fs')
const record = process.env.FAKE_PSQL_RECORD
const wait = Number(process.env.FAKE_PSQL_WAIT ?? 0)
if (wait) process.on('SIGINT', () => fs.appendFileSync(record + '.signals', 'SIGINT\\n'))
const seen = {argv: process.argv.slice(2), password: process.env.PGPASSWORD ?? null, pid: process.pid}
fs.writeFileSync(record + '.tmp', JSON.stringify(seen))
fs.renameSync(record + '.tmp', record)
if (wait) setTimeout(() => process.exit(0), wait)
`
      const recorded = () =>
        JSON.parse(readFileSync(record, 'utf8')) as {argv: string[]; password: string | null; pid: number}
      const withFake = (extra: NodeJS.ProcessEnv = {}) => ({
        env: {FAKE_PSQL_RECORD: record, PATH: `${bin}:${process.env.PATH}`, ...extra},
      })

      beforeEach(() => {
        bin = mkdtempSync(join(tmpdir(), 'cruddur-fake-psql-'))
        record = join(bin, 'record.json')
        writeFileSync(join(bin, 'psql'), fakePsql)
        chmodSync(join(bin, 'psql'), 0o755)
      })
      afterEach(() => rmSync(bin, {force: true, recursive: true}))

      for (const [where, url] of [
        ['userinfo', 'postgresql://someone:s3cret%40x@127.0.0.1:5432/cruddur'],
        ['password parameter', 'postgresql://someone@127.0.0.1:5432/cruddur?password=s3cret%40x&sslmode=disable'],
      ]) {
        it(`a password in the URL's ${where} goes in PGPASSWORD, never on psql's command line`, async () => {
          const {code, stderr} = await cli(['db', 'connect', '--database-url', url, '--', '-c', 'SELECT 1'], withFake())
          expect(code, stderr).to.equal(0)
          const {argv, password} = recorded()
          expect(password).to.equal('s3cret@x')
          expect(argv.join(' ')).not.to.include('s3cret')
          expect(argv[0]).to.match(/^postgresql:\/\/someone@127\.0\.0\.1:5432\/cruddur/)
          expect(argv.slice(1)).to.deep.equal(['-c', 'SELECT 1'])
        })
      }

      it('a URL with sslpassword is refused in one line before psql starts, exit 2', async () => {
        const url = 'postgresql://someone@127.0.0.1:5432/cruddur?sslpassword=k3y'
        const {code, stderr} = await cli(['db', 'connect', '--database-url', url], withFake())
        expect(code).to.equal(2)
        expect(errorLines(stderr)).to.have.length(1)
        expect(stderr).to.include('sslpassword').and.not.include('k3y')
        expect(existsSync(record)).to.equal(false)
      })

      it("Ctrl-C is psql's: cruddur waits for psql and ends with its exit code", async () => {
        let cruddur: ChildProcess | undefined
        const running = cli(['db', 'connect', '--database-url', db.url], {
          ...withFake({FAKE_PSQL_WAIT: '1500'}),
          onSpawn: (child) => (cruddur = child),
        })
        while (!existsSync(record)) await new Promise((resolve) => setTimeout(resolve, 20))
        // A terminal's Ctrl-C signals the whole foreground group: cruddur and psql alike.
        cruddur!.kill('SIGINT')
        process.kill(recorded().pid, 'SIGINT')
        const {code, stderr} = await running
        expect(code, stderr).to.equal(0)
        expect(readFileSync(`${record}.signals`, 'utf8')).to.equal('SIGINT\n')
      })
    })

    it('without psql: one line saying to install it, exit 8', async () => {
      const {code, stderr} = await cli(['db', 'connect', '--database-url', db.url], {env: {PATH: '/nonexistent'}})
      expect(code).to.equal(8)
      expect(errorLines(stderr)).to.have.length(1)
      expect(stderr).to.include('psql')
    })
  })

  describe('bad input', () => {
    it('an unreachable database: one line naming it and `cruddur local start`, exit 3', async () => {
      const url = `postgresql://postgres:password@localhost:${await freePort()}/cruddur`
      for (const command of ['create', 'seed', 'setup', 'sessions']) {
        const {code, stderr} = await cli(['db', command, '--database-url', url])
        expect(code, command).to.equal(3)
        expect(errorLines(stderr), command).to.have.length(1)
        expect(stderr).to.include('cruddur local start').and.not.include(':password@')
      }
    })

    it('a wrong password: one line, the password masked, exit 5', async () => {
      const url = new URL(db.url)
      url.password = 'not-the-password'
      for (const command of ['create', 'schema-load', 'seed']) {
        const {code, stderr} = await cli(['db', command, '--database-url', url.toString()])
        expect(code, command).to.equal(5)
        expect(errorLines(stderr), command).to.have.length(1)
        expect(stderr).to.not.include('not-the-password')
      }
    })

    it('a database without the schema: seed says to run schema-load, exit 4', async () => {
      const bare = await createTestDatabase('cruddur_db_test_bare', {schema: false})
      try {
        const {code, stderr} = await cli(['db', 'seed', '--database-url', bare.url])
        expect(code).to.equal(4)
        expect(errorLines(stderr)).to.have.length(1)
        expect(stderr).to.include('cruddur db schema-load')
      } finally {
        await bare.drop()
      }
    })

    it("refuses to create or drop the server's own databases", async () => {
      const url = testDatabaseUrl('postgres')
      const {code, stderr} = await cli(['db', 'drop', '--database-url', url, '--yes'])
      expect(code).to.equal(2)
      expect(errorLines(stderr)).to.have.length(1)
      expect(testStack().databaseUrl).to.not.equal(url)
    })
  })
})

import {expect} from 'chai'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pg from 'pg'

import type {ListTablesResult} from '../../src/commands/ddb/list-tables.js'
import type {LocalStartResult} from '../../src/commands/local/start.js'
import type {LocalStopResult} from '../../src/commands/local/stop.js'
import type {LocalStatusResult} from '../../src/commands/local/status.js'
import {javaMajorVersion} from '../../src/lib/local/dynamodb-local.js'
import {choosePort, freePort} from '../../src/lib/local/ports.js'
import {LOCAL_DATABASE, localDatabaseUrl, postgresHome} from '../../src/lib/local/postgres.js'
import {removeLocalStack} from '../../src/lib/local/stack.js'
import {testStack} from '../hooks.js'
import {cli, cliJson, errorLines} from '../support/cli.js'

describe('cruddur local', () => {
  it('reads the Java major version the way each JDK prints it, so Java 8 or 11 is refused by name', () => {
    expect(javaMajorVersion('openjdk version "17.0.15" 2025-04-15')).to.equal(17)
    expect(javaMajorVersion('java version "1.8.0_392"')).to.equal(8)
    expect(javaMajorVersion('openjdk version "11" 2018-09-25')).to.equal(11)
    expect(javaMajorVersion('openjdk version "21-ea"')).to.equal(21)
    expect(javaMajorVersion('no version here')).to.equal(undefined)
  })

  let stateDir: string

  before(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'cruddur-local-test-'))
  })

  after(() => removeLocalStack(stateDir))

  it(
    'start runs every service, start again changes nothing, ' + 'status shows them answering, stop stops them',
    async function () {
      this.timeout(180_000)
      const [dynamodbPort, postgresPort, cognitoPort, momentoPort] = [
        await freePort(),
        await freePort(),
        await freePort(),
        await freePort(),
      ]
      const ports = [
        '--dynamodb-port',
        String(dynamodbPort),
        '--postgres-port',
        String(postgresPort),
        '--cognito-port',
        String(cognitoPort),
        '--momento-port',
        String(momentoPort),
      ]
      const started = await cliJson<LocalStartResult>([
        'local',
        'start',
        '--state-dir',
        stateDir,
        '--in-memory',
        ...ports,
      ])
      expect(started.code, started.stderr).to.equal(0)
      expect(started.json.services.map((s) => [s.service, s.state, s.port])).to.deep.equal([
        ['dynamodb', 'started', dynamodbPort],
        ['postgres', 'started', postgresPort],
        ['cognito', 'started', cognitoPort],
        ['momento', 'started', momentoPort],
      ])
      expect(JSON.stringify(started.json)).to.not.include(':password@')

      const again = await cliJson<LocalStartResult>(['local', 'start', '--state-dir', stateDir])
      expect(again.json.services.map((s) => s.state)).to.deep.equal(['running', 'running', 'running', 'running'])
      expect(again.json.services.map((s) => s.pid)).to.deep.equal(started.json.services.map((s) => s.pid))

      // Other commands find the stack through the state directory alone.
      const tables = await cliJson<ListTablesResult>(['ddb', 'list-tables', '--state-dir', stateDir])
      expect(tables.json.target.endpoint).to.equal(`http://127.0.0.1:${dynamodbPort}`)

      const status = await cliJson<LocalStatusResult>(['local', 'status', '--state-dir', stateDir])
      expect(status.json.services.map((s) => s.state)).to.deep.equal(['running', 'running', 'running', 'running'])
      const cognito = status.json.services.find((s) => s.service === 'cognito')!
      expect(cognito.userPoolId).to.match(/^local_\w+$/)
      expect(cognito.clientId).to.be.a('string').and.not.equal('')
      const human = await cli(['local', 'status', '--state-dir', stateDir])
      expect(human.stdout).to.include(`cognito user pool ${cognito.userPoolId} · app client ${cognito.clientId}`)

      // A first start stopped between initdb and making the database leaves a cluster without it: a start makes it.
      const admin = new pg.Client({connectionString: localDatabaseUrl(postgresPort, 'postgres')})
      await admin.connect()
      await admin.query(`DROP DATABASE ${LOCAL_DATABASE}`)
      await admin.end()
      expect((await cli(['local', 'stop', '--state-dir', stateDir])).code).to.equal(0)
      const restarted = await cli(['local', 'start', '--state-dir', stateDir, '--in-memory', ...ports])
      expect(restarted.code, restarted.stderr).to.equal(0)
      const user = new pg.Client({connectionString: localDatabaseUrl(postgresPort)})
      await user.connect()
      await user.end()

      const stopped = await cliJson<LocalStopResult>(['local', 'stop', '--state-dir', stateDir])
      expect(stopped.code).to.equal(0)
      const after = await cliJson<LocalStatusResult>(['local', 'status', '--state-dir', stateDir])
      expect(after.json.services.map((s) => s.state)).to.deep.equal(['stopped', 'stopped', 'stopped', 'stopped'])
      expect(after.code).to.equal(3)

      // A stack made for one run goes without a trace, its cluster included (under /var/tmp when run as root).
      const home = postgresHome(stateDir)
      expect(existsSync(join(home, 'data', 'PG_VERSION'))).to.equal(true)
      await removeLocalStack(stateDir)
      expect(existsSync(home)).to.equal(false)
      expect(existsSync(stateDir)).to.equal(false)
    },
  )

  it('a port asked for that is taken is an error that starts nothing', async () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'cruddur-local-taken-'))
    try {
      const result = await cli([
        'local',
        'start',
        '--state-dir',
        otherDir,
        '--dynamodb-port',
        String(testStack().dynamodbPort),
      ])
      expect(result.code).to.equal(9)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr).to.include(`Port ${testStack().dynamodbPort}`)
      const status = await cliJson<LocalStatusResult>(['local', 'status', '--state-dir', otherDir])
      expect(status.json.services.every((s) => s.state === 'stopped')).to.equal(true)
    } finally {
      rmSync(otherDir, {force: true, recursive: true})
    }
  })

  it('a default port that is taken moves to a free one and says so', async () => {
    const taken = testStack().postgresPort
    const chosen = await choosePort('PostgreSQL', undefined, taken)
    expect(chosen.port).to.not.equal(taken)
    expect(chosen.note).to.include(`port ${taken} is taken`)
  })
})

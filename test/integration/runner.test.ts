import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import type {DbSessionsResult} from '../../src/commands/db/sessions.js'
import type {ListTablesResult} from '../../src/commands/ddb/list-tables.js'
import type {LocalStatusResult} from '../../src/commands/local/status.js'
import {freePort} from '../../src/lib/local/ports.js'
import {testStack} from '../hooks.js'
import {ROOT} from '../support/cli.js'

/**
 * The same commands through oclif's own runner, in this process: what a plugin or a script embedding
 * cruddur sees (the returned value is the --json document). Exit codes and output as a user sees them
 * are tested through the built binary elsewhere.
 */
describe('through the oclif runner', () => {
  const run = <T>(args: string[]) => runCommand<T>(args, {root: ROOT})
  // A failing command sets process.exitCode for the binary's sake; it must not become mocha's.
  afterEach(() => {
    process.exitCode = undefined
  })

  it('ddb list-tables returns its target: the running local stack', async () => {
    const {error, result} = await run<ListTablesResult>(['ddb', 'list-tables'])
    expect(error).to.equal(undefined)
    expect(result!.target).to.include({
      endpoint: testStack().dynamodbEndpoint,
      kind: 'local',
      table: 'cruddur-messages',
    })
    expect(result!.tables).to.be.an('array')
  })

  it('--endpoint wins over the local stack, and a dead one is an UNREACHABLE error with exit code 3', async () => {
    const port = await freePort()
    const {error} = await run(['ddb', 'list-tables', '--endpoint', `http://localhost:${port}`])
    expect(error?.oclif?.exit).to.equal(3)
  })

  it('local status returns every service of the test stack as running', async () => {
    const {result} = await run<LocalStatusResult>(['local', 'status'])
    expect(result!.services.map((s) => [s.service, s.state])).to.deep.equal([
      ['dynamodb', 'running'],
      ['postgres', 'running'],
      ['cognito', 'running'],
      ['momento', 'running'],
    ])
  })

  it('db sessions returns the PostgreSQL target with its password masked', async () => {
    const {error, result} = await run<DbSessionsResult>(['db', 'sessions'])
    expect(error).to.equal(undefined)
    expect(result!.target.url).to.match(/^postgresql:\/\/postgres:\*{4}@localhost:\d+\/cruddur$/)
  })
})

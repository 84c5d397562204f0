import {expect} from 'chai'

import {freePort} from '../src/lib/local/ports.js'
import {testStack} from './hooks.js'
import {cli, cliJson, errorLines} from './support/cli.js'

describe('errors', () => {
  it('a dead endpoint gives one line naming it and `cruddur local start`, exit 3, no stack', async () => {
    const port = await freePort()
    const result = await cli(['ddb', 'list-tables', '--endpoint', `http://localhost:${port}`])
    expect(result.code).to.equal(3)
    const lines = errorLines(result.stderr)
    expect(lines).to.have.length(1)
    expect(lines[0]).to.include(`http://localhost:${port}`).and.include('cruddur local start')
    expect(result.stderr).to.not.match(/\n\s+at /)
  })

  it('--debug shows the stack trace', async () => {
    const port = await freePort()
    const result = await cli(['ddb', 'list-tables', '--endpoint', `http://localhost:${port}`, '--debug'])
    expect(result.code).to.equal(3)
    expect(result.stderr).to.match(/\n\s+at /)
  })

  it('--json errors carry the code and exit code', async () => {
    const port = await freePort()
    const {code, json} = await cliJson<{error: {code: string; exitCode: number}}>(['ddb', 'list-tables', '--endpoint', `http://localhost:${port}`])
    expect(code).to.equal(3)
    expect(json.error).to.include({code: 'UNREACHABLE', exitCode: 3})
  })

  it('--prod with --endpoint is a usage error', async () => {
    const result = await cli(['ddb', 'list-tables', '--prod', '--endpoint', 'http://localhost:1'])
    expect(result.code).to.equal(2)
    expect(errorLines(result.stderr)).to.have.length(1)
  })

  it('an unknown flag is one line and exit 2', async () => {
    const result = await cli(['ddb', 'list-tables', '--no-such-flag'])
    expect(result.code).to.equal(2)
    expect(errorLines(result.stderr)).to.have.length(1)
    expect(result.stderr).to.include('--no-such-flag')
  })

  for (const [args, expected] of [
    [['ddb', 'patterns', 'get-conversation', 'x', '--limit', '0'], 'Parsing --limit: Expected an integer greater than or equal to 1 but received: 0'],
    [['ddb', 'patterns', 'create-message', 'hi', '--to', 'bob'], 'Missing required flag --from'],
    [['ddb', 'patterns', 'create-message', '--from', 'alice', '--to', 'bob'], 'Missing 1 required arg: text'],
  ] as const) {
    it(`a flag or argument error says what is wrong, on one line: ${args.slice(2).join(' ')}`, async () => {
      const result = await cli([...args])
      expect(result.code).to.equal(2)
      const lines = errorLines(result.stderr)
      expect(lines).to.have.length(1)
      expect(lines[0]).to.include(expected).and.include(`See \`cruddur ${args.slice(0, 3).join(' ')} --help\``)
    })
  }

  for (const args of [['ddb', 'seed'], ['ddb', 'patterns', 'list-conversations', 'andrewbrown']]) {
    it(`${args.join(' ')} with DynamoDB up and PostgreSQL down names PostgreSQL, not DynamoDB`, async () => {
      const port = await freePort()
      const result = await cli([...args, '--database-url', `postgresql://postgres:secret@localhost:${port}/cruddur`])
      expect(result.code).to.equal(3)
      const lines = errorLines(result.stderr)
      expect(lines).to.have.length(1)
      expect(lines[0]).to.include(`PostgreSQL is not reachable at postgresql://postgres:****@localhost:${port}/cruddur`)
      expect(result.stderr).to.not.include('secret')
    })
  }

  it('a wrong PostgreSQL password is one line naming the masked URL, exit 5', async () => {
    const url = `postgresql://postgres:wrong-secret@localhost:${testStack().postgresPort}/cruddur`
    const result = await cli(['db', 'sessions', '--database-url', url])
    expect(result.code).to.equal(5)
    expect(errorLines(result.stderr)).to.have.length(1)
    expect(result.stderr).to.not.include('wrong-secret')
  })
})

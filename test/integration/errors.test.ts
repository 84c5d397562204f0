import {expect} from 'chai'

import {waitUntilGone} from '../../src/lib/dynamodb/table-admin.js'
import {CruddurError, errorLine} from '../../src/lib/errors.js'
import {freePort} from '../../src/lib/local/ports.js'
import {maskSecrets, maskUrl} from '../../src/lib/mask.js'
import {visible} from '../../src/lib/terminal-text.js'
import {translateError} from '../../src/translate-error.js'
import {testStack} from '../hooks.js'
import {cli, cliJson, errorLines, type ErrorJson} from '../support/cli.js'
import {createTestTable} from '../support/tables.js'

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
    const {code, json} = await cliJson<ErrorJson>(['ddb', 'list-tables', '--endpoint', `http://localhost:${port}`])
    expect(code).to.equal(3)
    expect(json.error).to.include({code: 'UNREACHABLE', exitCode: 3})
  })

  it('--json errors list the next steps as actions, apart from the message that shows them', async () => {
    const port = await freePort()
    const {json} = await cliJson<ErrorJson>(['ddb', 'list-tables', '--endpoint', `http://localhost:${port}`])
    expect(json.error.actions).to.deep.equal(['start the local stack with `cruddur local start`', 'pass --endpoint'])
    expect(json.error.message).to.match(
      /^DynamoDB is not reachable at .*: start the local stack with `cruddur local start`, or pass --endpoint\.$/,
    )
  })

  it('a library error names no cruddur command: its hint becomes the action only in the CLI', () => {
    const fromLibrary = new CruddurError('NOT_FOUND', 'No user with handle @nobody', {
      actions: ['check the spelling'],
      hint: {step: 'create-users'},
    })
    expect(fromLibrary.message).to.not.include('cruddur')
    const shown = translateError(fromLibrary, {})
    expect(shown).to.include({code: 'NOT_FOUND', exitCode: 4})
    expect(errorLine(shown)).to.equal(
      'No user with handle @nobody: check the spelling, or create the users with `cruddur db setup`.',
    )
  })

  it('a table that outlasts its wait is an error with a code and a next step, not a bare Error', async () => {
    const table = await createTestTable(`cruddur-errors-${Date.now()}`)
    try {
      const waited = await waitUntilGone(table.ddb.client, table.messagesTable.name, 0).then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(waited).to.be.instanceOf(CruddurError).and.include({code: 'FAILED', exitCode: 1})
      expect(errorLine(waited as CruddurError)).to.match(
        /^Table .* still exists after 0 s: try again once it is gone\.$/,
      )
    } finally {
      await table.drop()
    }
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
    [
      ['ddb', 'patterns', 'get-conversation', 'x', '--limit', '0'],
      'Parsing --limit: Expected an integer greater than or equal to 1 but received: 0',
    ],
    [['ddb', 'patterns', 'create-message', 'hi', '--to', 'bob'], 'Missing required flag --from'],
    [['ddb', 'patterns', 'create-message', '--from', 'alice', '--to', 'bob'], 'Missing 1 required arg: text'],
  ] as const) {
    it(`a flag or argument error says what is wrong, on one line: ${args.slice(2).join(' ')}`, async () => {
      const result = await cli([...args])
      expect(result.code).to.equal(2)
      const lines = errorLines(result.stderr)
      expect(lines).to.have.length(1)
      expect(lines[0])
        .to.include(expected)
        .and.include(`See \`cruddur ${args.slice(0, 3).join(' ')} --help\``)
    })
  }

  for (const args of [
    ['ddb', 'seed'],
    ['ddb', 'patterns', 'list-conversations', 'andrewbrown'],
  ]) {
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

  describe('translation of network and system errors', () => {
    const dynamodb = {
      endpoint: 'http://localhost:8000',
      ignoredEnv: [],
      kind: 'local' as const,
      region: 'us-east-1',
      source: 'flag' as const,
      table: 't',
    }
    const systemError = (code: string, syscall = 'connect') =>
      Object.assign(new Error(`${syscall} ${code}`), {code, errno: -1, syscall})

    for (const code of ['ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT']) {
      it(`${code} is UNREACHABLE, exit 3`, () => {
        expect(translateError(systemError(code), {dynamodb})).to.include({code: 'UNREACHABLE', exitCode: 3})
      })
    }

    it('a five-letter errno (EPIPE) is not taken for a PostgreSQL SQLSTATE', () => {
      const translated = translateError(systemError('EPIPE', 'write'), {})
      expect(translated.message).to.not.include('PostgreSQL')
      expect(
        translateError(Object.assign(new Error('duplicate key'), {code: '23505', severity: 'ERROR'}), {}).message,
      ).to.include('PostgreSQL error 23505')
      expect(
        translateError(Object.assign(new Error('no database'), {code: '3D000', severity: 'FATAL'}), {}).code,
      ).to.equal('DATABASE_MISSING')
    })
  })

  describe('maskUrl: every URL form', () => {
    for (const [url, masked] of [
      ['http://user:pw@localhost:8000', 'http://user:****@localhost:8000'],
      ['https://token@dynamodb.example.com', 'https://****@dynamodb.example.com'],
      ['user:pw@localhost:9230', 'user:****@localhost:9230'],
      ['postgresql://postgres@localhost/cruddur', 'postgresql://postgres@localhost/cruddur'],
      ['postgresql://u:p@ss#w/rd@db:5432/cruddur', 'postgresql://u:****@db:5432/cruddur'],
      ['postgresql://u:a/b?c@db/cruddur', 'postgresql://u:****@db/cruddur'],
      ['postgresql://u:p%40ss%25@db/cruddur', 'postgresql://u:****@db/cruddur'],
      ['postgresql://db/cruddur?password=hunter2&user=u', 'postgresql://db/cruddur?password=****&user=u'],
      [
        'postgresql://db/cruddur?user=u&password=hunter2&sslpassword=x',
        'postgresql://db/cruddur?user=u&password=****&sslpassword=****',
      ],
      ['http://localhost:8000', 'http://localhost:8000'],
    ] as const) {
      it(url, () => expect(maskUrl(url)).to.equal(masked))
    }

    it('maskSecrets masks each URL in a text', () => {
      expect(maskSecrets('at http://a:b@h:1 and postgresql://u:p#q@h/db (ECONNREFUSED)')).to.equal(
        'at http://a:****@h:1 and postgresql://u:****@h/db (ECONNREFUSED)',
      )
    })
  })

  describe('visible: text made safe for a terminal', () => {
    it('escapes C0 and C1 controls, ESC, DEL, bidi overrides and isolates; newlines unless multiline', () => {
      expect(visible('a\u001B[2Jb\u0007\u009B\u007F\u202E\u2066\r\nz')).to.equal(
        'a\\x1b[2Jb\\x07\\x9b\\x7f\\u202e\\u2066\\r\\nz',
      )
      expect(visible('one\ntwo\tthree', {multiline: true})).to.equal('one\ntwo\tthree')
      expect(visible('plain text, émoji 😀, עברית')).to.equal('plain text, émoji 😀, עברית')
    })
  })
})

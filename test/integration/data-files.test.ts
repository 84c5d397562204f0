/** `ddb export --output` and `ddb import FILE`: the files themselves — paths that fail, partial files, modes. */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DdbExportResult} from '../../src/commands/ddb/export.js'
import {cli, cliJson, errorLines} from '../support/cli.js'
import {createTestTable} from '../support/tables.js'
import {PutCommand} from '@aws-sdk/lib-dynamodb'

describe('export and import files', () => {
  const table = `data-files-${randomUUID().slice(0, 8)}`
  const flags = ['--table', table]
  let dir: string
  let fresh: Awaited<ReturnType<typeof createTestTable>>

  before(async () => {
    fresh = await createTestTable(table)
    for (const n of [1, 2, 3])
      await fresh.ddb.doc.send(
        new PutCommand({Item: {message: `m${n}`, pk: `MSG#g${n}`, sk: `s${n}`}, TableName: table}),
      )
  })
  after(() => fresh.drop())
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cruddur-data-files-'))
  })
  afterEach(() => rmSync(dir, {force: true, recursive: true}))

  it('export --output into a missing directory: one line, exit 2, before reading anything', async () => {
    const output = join(dir, 'missing', 'items.ndjson')
    const {code, stderr} = await cli(['ddb', 'export', ...flags, '--output', output])
    expect(code, stderr).to.equal(2)
    expect(errorLines(stderr)).to.have.length(1)
    expect(stderr).to.include(`Cannot write --output ${output} (ENOENT)`).and.not.include('    at ')
  })

  it('export --output writes a file readable by its owner alone, and the summary under --json', async () => {
    const output = join(dir, 'items.ndjson')
    const {code, json, stderr} = await cliJson<DdbExportResult>(['ddb', 'export', ...flags, '--output', output])
    expect(code, stderr).to.equal(0)
    expect(json).to.include({items: 3, output})
    expect(statSync(output).mode & 0o777).to.equal(0o600)
    expect(readdirSync(dir)).to.deep.equal(['items.ndjson'])
  })

  it('an export that fails leaves no file at --output (nor a temporary one), and an old file as it was', async () => {
    const output = join(dir, 'items.ndjson')
    const missing = ['--table', `data-files-missing-${randomUUID().slice(0, 8)}`]
    let result = await cli(['ddb', 'export', ...missing, '--output', output])
    expect(result.code).to.not.equal(0)
    expect(readdirSync(dir)).to.deep.equal([])
    writeFileSync(output, 'the last good export\n')
    result = await cli(['ddb', 'export', ...missing, '--output', output])
    expect(result.code).to.not.equal(0)
    expect(readdirSync(dir)).to.deep.equal(['items.ndjson'])
    expect(statSync(output).size).to.equal('the last good export\n'.length)
  })

  it('export --json without --output prints the items only: every stdout line is an item', async () => {
    const {code, stdout, stderr} = await cli(['ddb', 'export', ...flags, '--json'])
    expect(code, stderr).to.equal(0)
    const lines = stdout.trim().split('\n')
    expect(lines).to.have.length(3)
    for (const line of lines) expect(JSON.parse(line)).to.have.property('pk')
  })

  for (const [what, path] of [
    ['a missing file', (d: string) => join(d, 'nothing-here.ndjson')],
    ['a directory', (d: string) => (mkdirSync(join(d, 'sub')), join(d, 'sub'))],
  ] as const) {
    it(`import of ${what}: one line naming it, exit 2, nothing written`, async () => {
      const file = path(dir)
      const {code, stderr} = await cli(['ddb', 'import', file, ...flags])
      expect(code, stderr).to.equal(2)
      expect(errorLines(stderr)).to.have.length(1)
      expect(stderr).to.include(`Cannot import ${file}`)
      expect(existsSync(file)).to.equal(what === 'a directory')
    })
  }
})

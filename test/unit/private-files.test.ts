/** Private directories and whole JSON files, as the state and checkpoint files are written. */
import {expect} from 'chai'
import {chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ensurePrivateDir, makePrivateDirectories, writeJsonAtomically} from '../../src/lib/private-files.js'

describe('private files', () => {
  let dir: string

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cruddur-private-'))
  })

  afterEach(() => {
    rmSync(dir, {force: true, recursive: true})
  })

  const modeOf = (path: string) => statSync(path).mode & 0o777

  it('makes missing parents, each private to the user, and says whether it made the directory', () => {
    const nested = join(dir, 'a', 'b', 'c')
    expect(makePrivateDirectories(nested)).to.equal(true)
    for (const path of [join(dir, 'a'), join(dir, 'a', 'b'), nested]) expect(modeOf(path)).to.equal(0o700)
    expect(makePrivateDirectories(nested)).to.equal(false)
  })

  it('fails at once where a directory cannot be made (under /proc), instead of trying forever', function () {
    if (process.platform !== 'linux') this.skip()
    expect(() => makePrivateDirectories('/proc/cruddur-private-test/a')).to.throw(/ENOENT/)
  })

  it('tightens an existing directory', () => {
    chmodSync(dir, 0o755)
    ensurePrivateDir(dir)
    expect(modeOf(dir)).to.equal(0o700)
  })

  it('writes JSON readable by the user alone, over the old file, leaving no temporary file', () => {
    const file = join(dir, 'state.json')
    writeJsonAtomically(file, {old: true})
    writeJsonAtomically(file, {a: [1, 2]})
    expect(readFileSync(file, 'utf8')).to.equal('{\n  "a": [\n    1,\n    2\n  ]\n}\n')
    expect(modeOf(file)).to.equal(0o600)
    expect(readdirSync(dir)).to.deep.equal(['state.json'])
  })
})

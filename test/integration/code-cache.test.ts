import {expect} from 'chai'
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {join} from 'node:path'

import {codeCacheDir} from '../../src/lib/paths.js'
import {cli, ROOT} from '../support/cli.js'

const version = `${process.version}-${process.arch}`
/** Node 22 and later have their own compile cache, which the CLI uses there instead of its own. */
const nodeHasCompileCache = Number(process.versions.node.split('.')[0]) >= 22

describe('code cache', () => {
  describe('its directory', () => {
    it("is code-cache in the download cache's directory, one folder per Node version", () => {
      expect(codeCacheDir({})).to.equal(join(homedir(), '.cache', 'cruddur', 'code-cache', version))
      expect(codeCacheDir({XDG_CACHE_HOME: '/x'})).to.equal(join('/x', 'cruddur', 'code-cache', version))
      expect(codeCacheDir({CRUDDUR_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x'})).to.equal(join('/c', 'code-cache', version))
    })

    it('is CRUDDUR_CODE_CACHE_DIR when set, and none with CRUDDUR_CODE_CACHE=0', () => {
      expect(codeCacheDir({CRUDDUR_CACHE_DIR: '/c', CRUDDUR_CODE_CACHE_DIR: '/d'})).to.equal(join('/d', version))
      expect(codeCacheDir({CRUDDUR_CODE_CACHE: '0', CRUDDUR_CODE_CACHE_DIR: '/d'})).to.equal(undefined)
    })
  })

  describe('through the binary', () => {
    let base: string
    let dir: string
    const env = () => ({CRUDDUR_CODE_CACHE_DIR: base})
    /** cruddur's own cache files (Node's compile cache, on Node >= 22, keeps a folder beside them). */
    const files = () =>
      readdirSync(dir, {withFileTypes: true})
        .filter((entry) => entry.isFile())
        .map((entry) => entry.name)
        .sort()

    beforeEach(() => {
      base = mkdtempSync(join(tmpdir(), 'cruddur-code-cache-'))
      dir = join(base, version)
    })
    afterEach(() => rmSync(base, {force: true, recursive: true}))

    it('is written by the first run and used as it is by the next', async () => {
      const first = await cli(['--version'], {env: env()})
      expect(first.code).to.equal(0)
      const written = files()
      expect(written).to.have.length.greaterThan(0)
      const modified = written.map((file) => statSync(join(dir, file)).mtimeMs)

      const second = await cli(['--version'], {env: env()})
      expect(second).to.deep.equal(first)
      expect(files()).to.deep.equal(written)
      expect(written.map((file) => statSync(join(dir, file)).mtimeMs)).to.deep.equal(modified)
    })

    it('a changed file gets its cache replaced, not a second one, ' + 'even with its size and mtime kept', async () => {
      const bundle = join(ROOT, 'dist', 'cli', 'cli.js')
      const built = statSync(bundle)
      const source = readFileSync(bundle, 'utf8')
      const first = await cli(['--version'], {env: env()})
      const written = files()
      const before = written.map((file) => readFileSync(join(dir, file)))
      try {
        // As a tarball or `cp -p` would leave it: other content, same size, same mtime.
        writeFileSync(bundle, source.replace('node-${', 'NODE-${'))
        utimesSync(bundle, built.atime, built.mtime)
        const changed = await cli(['--version'], {env: env()})
        expect(changed.stdout).to.equal(first.stdout.replace('node-', 'NODE-'))
        expect(files()).to.deep.equal(written)
        expect(written.filter((file, i) => !readFileSync(join(dir, file)).equals(before[i]))).to.have.length(1)
      } finally {
        writeFileSync(bundle, source)
        utimesSync(bundle, built.atime, built.mtime)
      }
    })

    it("code loaded from the cache can still import ES modules (the help plugin's command)", async () => {
      const first = await cli(['help', 'ddb'], {env: env()})
      expect(first.code).to.equal(0)
      expect(first.stdout).to.include('USAGE')
      expect(await cli(['help', 'ddb'], {env: env()})).to.deep.equal(first)
    })

    it('a damaged cache is rejected, compiled from source and rewritten', async () => {
      const first = await cli(['help', 'ddb'], {env: env()})
      // Damaged after its build stamp, so V8 itself has to reject it.
      const damage = Buffer.from('not a code cache')
      for (const file of files()) {
        const data = readFileSync(join(dir, file))
        writeFileSync(join(dir, file), Buffer.concat([data.subarray(0, data.indexOf('\n') + 1), damage]))
      }

      expect(await cli(['help', 'ddb'], {env: env()})).to.deep.equal(first)
      for (const file of files())
        expect(readFileSync(join(dir, file)).subarray(-damage.length).equals(damage)).to.equal(false)
    })

    it('a cache directory that cannot be written costs nothing but the speed-up', async () => {
      writeFileSync(join(base, version), 'a file where the directory should be')
      const result = await cli(['--version'], {env: env()})
      expect(result.code).to.equal(0)
      expect(result.stdout).to.match(/^cruddur\/\d/)
      expect(result.stderr).to.equal('')
    })

    it("on Node >= 22 keeps the bundle in cruddur's cache and the other modules in Node's", async function () {
      // Runs in CI's Node 24 pass (.ci/run); Node 20 has no compile cache of its own.
      if (!nodeHasCompileCache) this.skip()
      const first = await cli(['help', 'ddb'], {env: env()})
      expect(first.code).to.equal(0)
      // Node's layout: a folder per Node build, files named by hash; cruddur's own files sit flat in dir.
      expect(files()).to.have.length.greaterThan(0)
      expect(readdirSync(dir, {withFileTypes: true}).some((entry) => entry.isDirectory())).to.equal(true)
      const second = await cli(['help', 'ddb'], {env: {...env(), NODE_DEBUG_NATIVE: 'COMPILE_CACHE'}})
      expect(second.stdout).to.equal(first.stdout)
      expect(second.stderr).to.match(/\[compile cache\].* was accepted/)
      expect(second.stderr).not.to.match(/dist\/cli\/cli\.js/)
    })

    it('CRUDDUR_CODE_CACHE=0 writes none', async () => {
      expect((await cli(['--version'], {env: {...env(), CRUDDUR_CODE_CACHE: '0'}})).code).to.equal(0)
      expect(readdirSync(base)).to.deep.equal([])
    })
  })
})

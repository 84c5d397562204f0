/** The momento commands against the stand-in, the API key for the real service, and a contract test with it. */
import {expect} from 'chai'
import {readFileSync} from 'node:fs'

import type {MomentoCreateCacheResult} from '../../src/commands/momento/create-cache.js'
import type {MomentoDeleteCacheResult} from '../../src/commands/momento/delete-cache.js'
import type {MomentoGetResult} from '../../src/commands/momento/get.js'
import type {MomentoListCachesResult} from '../../src/commands/momento/list-caches.js'
import {freePort} from '../../src/lib/local/ports.js'
import {readState} from '../../src/lib/stack-state.js'
import {readThrough} from '../../src/lib/momento/cache-aside.js'
import {momentoCacheStore, type CacheStore} from '../../src/lib/momento/client.js'
import {resolveMomentoTarget} from '../../src/lib/targets/momento.js'
import {testStack} from '../hooks.js'
import {cli, cliInTerminal, cliJson, errorLines} from '../support/cli.js'
import {countingLoader, stackTarget, unique, useCacheWarnings} from '../support/momento.js'

const SECRET = 'do-not-print-me-8f3a1c'

describe('momento', () => {
  const warnings = useCacheWarnings()

  describe('commands against the local stand-in', () => {
    it('create-cache creates a cache, and creating it again is not an error', async () => {
      const name = unique('create')
      const first = await cliJson<MomentoCreateCacheResult>(['momento', 'create-cache', '--cache', name])
      expect(first.code).to.equal(0)
      expect(first.json).to.include({cache: name, created: true})
      const again = await cliJson<MomentoCreateCacheResult>(['momento', 'create-cache', '--cache', name])
      expect(again.code).to.equal(0)
      expect(again.json.created).to.equal(false)
      const list = await cliJson<MomentoListCachesResult>(['momento', 'list-caches'])
      expect(list.json.caches).to.include(name).and.include('cruddur')
    })

    it('delete-cache refuses without a terminal unless --yes, then deletes', async () => {
      const name = unique('delete')
      await cli(['momento', 'create-cache', '--cache', name])
      const refused = await cli(['momento', 'delete-cache', '--cache', name])
      expect(refused.code).to.equal(7)
      expect(errorLines(refused.stderr)).to.have.length(1)
      expect(refused.stderr).to.include('--yes')
      const deleted = await cliJson<MomentoDeleteCacheResult>(['momento', 'delete-cache', '--cache', name, '--yes'])
      expect(deleted.code).to.equal(0)
      const list = await cliJson<MomentoListCachesResult>(['momento', 'list-caches'])
      expect(list.json.caches).to.not.include(name)
    })

    it('delete-cache in a terminal asks first: "no" keeps the cache, "yes" deletes it', async () => {
      const name = unique('prompt')
      await cli(['momento', 'create-cache', '--cache', name])
      const kept = await cliInTerminal(['momento', 'delete-cache', '--cache', name], 'no\n')
      expect(kept.code, kept.stdout).to.equal(7)
      expect(kept.stdout).to.include(`delete cache ${name}`).and.include('Not confirmed, nothing was changed')
      expect((await cliJson<MomentoListCachesResult>(['momento', 'list-caches'])).json.caches).to.include(name)
      const deleted = await cliInTerminal(['momento', 'delete-cache', '--cache', name], 'yes\n')
      expect(deleted.code, deleted.stdout).to.equal(0)
      expect((await cliJson<MomentoListCachesResult>(['momento', 'list-caches'])).json.caches).to.not.include(name)
    })

    it('get shows a cached value and delete removes it', async () => {
      const key = unique('debug-key')
      await momentoCacheStore(stackTarget()).set(key, JSON.stringify({hello: 'world'}))
      const hit = await cliJson<MomentoGetResult>(['momento', 'get', key])
      expect(hit.json).to.deep.include({hit: true, value: {hello: 'world'}})
      expect((await cli(['momento', 'get', key])).stdout.trim()).to.equal('{"hello":"world"}')
      expect((await cli(['momento', 'delete', key])).code).to.equal(0)
      const miss = await cliJson<MomentoGetResult>(['momento', 'get', key])
      expect(miss.code).to.equal(0)
      expect(miss.json).to.deep.include({hit: false, value: null})
    })

    it('a cache that does not exist is one line naming create-cache, exit 4', async () => {
      const result = await cli(['momento', 'get', 'any-key', '--cache', unique('missing')])
      expect(result.code).to.equal(4)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr).to.include('cruddur momento create-cache')
    })

    it('a dead stand-in is one line naming `cruddur local start`, exit 3', async () => {
      const port = await freePort()
      const result = await cli(['momento', 'list-caches', '--momento-endpoint', `127.0.0.1:${port}`])
      expect(result.code).to.equal(3)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr).to.include(`127.0.0.1:${port}`).and.include('cruddur local start')
    })

    it('a bad MOMENTO_TTL_SECONDS is a usage error', async () => {
      const result = await cli(['momento', 'list-caches'], {env: {MOMENTO_TTL_SECONDS: 'ten'}})
      expect(result.code).to.equal(2)
      expect(errorLines(result.stderr)).to.have.length(1)
    })
  })

  describe('the API key', () => {
    it('a missing key with --prod is one clear line and exit 2', async () => {
      const result = await cli(['momento', 'list-caches', '--prod'], {
        env: {MOMENTO_API_KEY: '', MOMENTO_AUTH_TOKEN: ''},
      })
      expect(result.code).to.equal(2)
      const lines = errorLines(result.stderr)
      expect(lines).to.have.length(1)
      expect(lines[0]).to.include('MOMENTO_API_KEY')
    })

    for (const [kind, key] of [
      ['random text', SECRET],
      [
        'a JWT without Momento endpoints',
        `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({sub: SECRET})).toString('base64url')}.c2lnbmF0dXJl`,
      ],
      ['base64 JSON without an endpoint', Buffer.from(JSON.stringify({api_key: SECRET})).toString('base64')],
    ]) {
      it(`a malformed key (${kind}) is one line, exit 2, and never printed, even with --debug or --json`, async () => {
        for (const extra of [[], ['--debug'], ['--json']]) {
          const result = await cli(['momento', 'list-caches', '--prod', ...extra], {env: {MOMENTO_API_KEY: key}})
          expect(result.code).to.equal(2)
          if (extra.length === 0) expect(errorLines(result.stderr)).to.have.length(1)
          expect(result.stdout + result.stderr)
            .to.not.include(key)
            .and.not.include(SECRET)
        }
      })
    }

    it('MOMENTO_AUTH_TOKEN from the notes is used when MOMENTO_API_KEY is not set', async () => {
      const result = await cli(['momento', 'list-caches', '--prod'], {
        env: {MOMENTO_API_KEY: '', MOMENTO_AUTH_TOKEN: SECRET},
      })
      expect(result.code).to.equal(2)
      expect(result.stderr).to.include('MOMENTO_AUTH_TOKEN').and.not.include(SECRET)
    })

    it('a key in the environment never redirects a local command, and is never printed', async () => {
      const result = await cliJson<MomentoListCachesResult>(['momento', 'list-caches', '--debug'], {
        env: {MOMENTO_API_KEY: SECRET},
      })
      expect(result.code).to.equal(0)
      expect(result.json.target.kind).to.equal('local')
      expect(result.stdout + result.stderr).to.not.include(SECRET)
      const log = readFileSync(readState(testStack().stateDir).momento!.log, 'utf8')
      expect(log).to.not.include(SECRET)
    })
  })

  describe('contract with Momento itself', () => {
    it('creates a cache, reads through it and deletes it (needs MOMENTO_API_KEY)', async function () {
      if (!process.env.MOMENTO_API_KEY) this.skip()
      this.timeout(60_000)
      const name = unique('cruddur-contract')
      const created = await cliJson<MomentoCreateCacheResult>(['momento', 'create-cache', '--prod', '--cache', name])
      expect(created.code, created.stderr).to.equal(0)
      let cache: CacheStore | undefined
      try {
        cache = momentoCacheStore(resolveMomentoTarget({cache: name, prod: true}, process.env, {}))
        const loader = countingLoader({n: 1})
        expect((await readThrough(cache, 'contract', loader)).fromCache).to.equal(false)
        expect((await readThrough(cache, 'contract', loader)).fromCache).to.equal(true)
        expect(warnings).to.deep.equal([])
      } finally {
        const deleted = await cli(['momento', 'delete-cache', '--prod', '--cache', name, '--yes'])
        expect(deleted.code, deleted.stderr).to.equal(0)
        expect(deleted.stdout + deleted.stderr).to.not.include(process.env.MOMENTO_API_KEY!)
      }
    })
  })
})

import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {createServer, type Server, type Socket} from 'node:net'
import pg from 'pg'
import {readFileSync} from 'node:fs'

import {freePort} from '../../src/lib/local/ports.js'
import {readState} from '../../src/lib/stack-state.js'
import {loadSchema} from '../../src/lib/postgres/schema.js'
import {onCacheWarning, readThrough, refreshAfterMessage, cacheKeys} from '../../src/lib/momento/cache-aside.js'
import {
  cacheStoreOver,
  closeMomentoClients,
  createMomentoClient,
  momentoCacheStore,
  type CacheStore,
} from '../../src/lib/momento/client.js'
import {CACHE_TIMEOUT_MS} from '../../src/lib/momento/config.js'
import {type MomentoTarget, resolveMomentoTarget} from '../../src/lib/targets/momento.js'
import {startStandin} from '../../src/lib/momento/standin-server.js'
import {testStack} from '../hooks.js'
import {cli, cliInTerminal, cliJson, errorLines} from '../support/cli.js'

const SECRET = 'do-not-print-me-8f3a1c'

/** The stand-in `local start` runs for the test stack. */
function stackTarget(cacheName = 'cruddur', ttlSeconds = 600): MomentoTarget {
  const momento = readState(testStack().stateDir).momento
  if (!momento) throw new Error('the test stack runs no Momento stand-in')
  return resolveMomentoTarget({cache: cacheName}, {MOMENTO_TTL_SECONDS: String(ttlSeconds)}, {momento})
}

const localTarget = (port: number, ttlSeconds = 600): MomentoTarget => ({
  cacheName: 'cruddur',
  endpoint: `127.0.0.1:${port}`,
  kind: 'local',
  source: 'flag',
  ttlSeconds,
})

/** A loader that counts its calls, like a DynamoDB read would. */
function countingLoader<T>(value: T) {
  const loader = async () => {
    loader.calls++
    return value
  }

  loader.calls = 0
  return loader
}

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`

describe('momento', () => {
  const warnings: string[] = []
  let restoreWarnings: (message: string) => void

  beforeEach(() => {
    warnings.length = 0
    restoreWarnings = onCacheWarning((message) => warnings.push(message))
  })

  afterEach(() => {
    onCacheWarning(restoreWarnings)
  })

  after(() => closeMomentoClients())

  describe('commands against the local stand-in', () => {
    it('create-cache creates a cache, and creating it again is not an error', async () => {
      const name = unique('create')
      const first = await cliJson<{created: boolean; cache: string}>(['momento', 'create-cache', '--cache', name])
      expect(first.code).to.equal(0)
      expect(first.json).to.include({cache: name, created: true})
      const again = await cliJson<{created: boolean}>(['momento', 'create-cache', '--cache', name])
      expect(again.code).to.equal(0)
      expect(again.json.created).to.equal(false)
      const list = await cliJson<{caches: string[]}>(['momento', 'list-caches'])
      expect(list.json.caches).to.include(name).and.include('cruddur')
    })

    it('delete-cache refuses without a terminal unless --yes, then deletes', async () => {
      const name = unique('delete')
      await cli(['momento', 'create-cache', '--cache', name])
      const refused = await cli(['momento', 'delete-cache', '--cache', name])
      expect(refused.code).to.equal(7)
      expect(errorLines(refused.stderr)).to.have.length(1)
      expect(refused.stderr).to.include('--yes')
      const deleted = await cliJson<{deleted: boolean}>(['momento', 'delete-cache', '--cache', name, '--yes'])
      expect(deleted.code).to.equal(0)
      const list = await cliJson<{caches: string[]}>(['momento', 'list-caches'])
      expect(list.json.caches).to.not.include(name)
    })

    it('delete-cache in a terminal asks first: "no" keeps the cache, "yes" deletes it', async () => {
      const name = unique('prompt')
      await cli(['momento', 'create-cache', '--cache', name])
      const kept = await cliInTerminal(['momento', 'delete-cache', '--cache', name], 'no\n')
      expect(kept.code, kept.stdout).to.equal(7)
      expect(kept.stdout).to.include(`delete cache ${name}`).and.include('Not confirmed, nothing was changed')
      expect((await cliJson<{caches: string[]}>(['momento', 'list-caches'])).json.caches).to.include(name)
      const deleted = await cliInTerminal(['momento', 'delete-cache', '--cache', name], 'yes\n')
      expect(deleted.code, deleted.stdout).to.equal(0)
      expect((await cliJson<{caches: string[]}>(['momento', 'list-caches'])).json.caches).to.not.include(name)
    })

    it('get shows a cached value and delete removes it', async () => {
      const key = unique('debug-key')
      await momentoCacheStore(stackTarget()).set(key, JSON.stringify({hello: 'world'}))
      const hit = await cliJson<{hit: boolean; value: unknown}>(['momento', 'get', key])
      expect(hit.json).to.deep.include({hit: true, value: {hello: 'world'}})
      expect((await cli(['momento', 'get', key])).stdout.trim()).to.equal('{"hello":"world"}')
      expect((await cli(['momento', 'delete', key])).code).to.equal(0)
      const miss = await cliJson<{hit: boolean; value: unknown}>(['momento', 'get', key])
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
      const result = await cliJson<{target: {kind: string}}>(['momento', 'list-caches', '--debug'], {
        env: {MOMENTO_API_KEY: SECRET},
      })
      expect(result.code).to.equal(0)
      expect(result.json.target.kind).to.equal('local')
      expect(result.stdout + result.stderr).to.not.include(SECRET)
      const log = readFileSync(readState(testStack().stateDir).momento!.log, 'utf8')
      expect(log).to.not.include(SECRET)
    })
  })

  describe('cache-aside with the real SDK', () => {
    const normalisedUuid = (uuid: string) => uuid.trim().toLowerCase()
    const until = async (condition: () => boolean, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs
      while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    }

    it('a miss reads the loader and caches; the next read is a hit without the loader', async () => {
      const cache = momentoCacheStore(stackTarget())
      const key = unique('aside')
      const loader = countingLoader({items: [1, 2, 3]})
      const first = await readThrough(cache, key, loader)
      expect(first).to.deep.equal({fromCache: false, value: {items: [1, 2, 3]}})
      const second = await readThrough(cache, key, loader)
      expect(second).to.deep.equal({fromCache: true, value: {items: [1, 2, 3]}})
      expect(loader.calls).to.equal(1)
      expect(warnings).to.deep.equal([])
    })

    it('a value expires after its TTL', async () => {
      const standin = await startStandin({caches: ['cruddur'], port: 0})
      const client = createMomentoClient(localTarget(standin.port, 1))
      try {
        const cache = cacheStoreOver(client, 'cruddur', 1)
        const loader = countingLoader('fresh')
        expect((await readThrough(cache, 'ttl', loader)).fromCache).to.equal(false)
        expect((await readThrough(cache, 'ttl', loader)).fromCache).to.equal(true)
        await new Promise((resolve) => setTimeout(resolve, 1300))
        expect((await readThrough(cache, 'ttl', loader)).fromCache).to.equal(false)
        expect(loader.calls).to.equal(2)
      } finally {
        client.close()
        await standin.close()
      }
    })

    it('a stopped cache still gives the loader value, warns once, and costs a bounded delay', async () => {
      const standin = await startStandin({caches: ['cruddur'], port: 0})
      const client = createMomentoClient(localTarget(standin.port))
      try {
        const cache = cacheStoreOver(client, 'cruddur', 600)
        await readThrough(cache, 'warm', countingLoader(1))
        await standin.close()
        const bound = 3 * CACHE_TIMEOUT_MS + 2000
        const started = Date.now()
        const read = await readThrough(cache, 'after-stop', countingLoader('from the database'))
        expect(read).to.deep.equal({fromCache: false, value: 'from the database'})
        expect(Date.now() - started).to.be.below(bound)
        expect((await readThrough(cache, 'again', countingLoader(2))).value).to.equal(2)
        await until(() => warnings.length > 0, 3 * CACHE_TIMEOUT_MS + 2000)
        expect(warnings).to.have.length(1)
        expect(warnings[0]).to.include('reading from the database')
      } finally {
        client.close()
      }
    })

    it('a cache that accepts connections but never answers does not wait out its timeout: the database answers', async () => {
      // Never answers; its sockets are destroyed at the end, or they would keep mocha from exiting.
      const accepted = new Set<Socket>()
      const silent: Server = createServer((socket) => accepted.add(socket))
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
      const port = (silent.address() as {port: number}).port
      const client = createMomentoClient(localTarget(port))
      try {
        const cache = cacheStoreOver(client, 'cruddur', 600)
        const started = Date.now()
        const read = await readThrough(cache, 'silent', countingLoader('from the database'))
        expect(read).to.deep.equal({fromCache: false, value: 'from the database'})
        // The read took the hedge delay and the loader, not the cache's timeout.
        expect(Date.now() - started).to.be.below(CACHE_TIMEOUT_MS)
        // The cache's own timeout still comes, later, and is reported once.
        await until(() => warnings.length > 0, 3 * CACHE_TIMEOUT_MS + 2000)
        expect(warnings).to.have.length(1)
      } finally {
        client.close()
        for (const socket of accepted) socket.destroy()
        silent.close()
      }
    })

    it("refreshAfterMessage rewrites both participants' lists and the conversation", async () => {
      const cache = momentoCacheStore(stackTarget())
      const [alice, bob, group] = [unique('alice'), unique('bob'), unique('group')]
      await cache.set(cacheKeys.conversations(alice), JSON.stringify('old'))
      const result = await refreshAfterMessage(
        cache,
        {messageGroupUuid: group, participantUuids: [alice, bob]},
        {
          getConversation: async (uuid) => `messages of ${uuid}`,
          listConversations: async (uuid) => `list of ${uuid}`,
        },
      )
      expect(result.failed).to.deep.equal([])
      for (const [key, value] of [
        [cacheKeys.conversations(alice), `list of ${alice}`],
        [cacheKeys.conversations(bob), `list of ${bob}`],
        [cacheKeys.messages(group), `messages of ${group}`],
      ]) {
        const read = await readThrough(cache, key, async () => 'loader')
        expect(read).to.deep.equal({fromCache: true, value})
      }
    })

    it('two refreshes of one key at once store in order: the newer read is what stays cached', async () => {
      const cache = momentoCacheStore(stackTarget())
      const [alice, bob, carol] = [unique('alice'), unique('bob'), unique('carol')]
      // The "database": alice's list as it is now; a slow reader sees it as it was when it started reading.
      let aliceList = 'before the second message'
      const readAliceList = async (delayMs: number) => {
        const seen = aliceList
        await new Promise((resolve) => setTimeout(resolve, delayMs))
        return seen
      }

      // Two conversations of alice's, processed together: the first refresh reads slowly.
      const first = refreshAfterMessage(
        cache,
        {messageGroupUuid: unique('group'), participantUuids: [alice, bob]},
        {
          getConversation: async () => 'messages',
          listConversations: async (uuid) => (uuid === normalisedUuid(alice) ? readAliceList(300) : 'other'),
        },
      )
      await new Promise((resolve) => setTimeout(resolve, 20))
      aliceList = 'after the second message'
      const second = refreshAfterMessage(
        cache,
        {messageGroupUuid: unique('group'), participantUuids: [alice, carol]},
        {
          getConversation: async () => 'messages',
          listConversations: async (uuid) => (uuid === normalisedUuid(alice) ? readAliceList(0) : 'other'),
        },
      )
      await Promise.all([first, second])
      expect(JSON.parse((await cache.get(cacheKeys.conversations(alice)))!)).to.equal('after the second message')
    })

    it('a reader that missed does not overwrite the page the stream refreshed while it read the database', async () => {
      const cache = momentoCacheStore(stackTarget())
      const key = unique('race')
      const read = readThrough(cache, key, async () => {
        // While this reader is at the database, the stream applies a message and refreshes the key.
        await cache.set(key, JSON.stringify('after the message'))
        return 'before the message'
      })
      expect((await read).value).to.equal('before the message')
      expect(JSON.parse((await cache.get(key))!)).to.equal('after the message')
    })

    it('a refresh whose loader fails invalidates the key instead of leaving it stale', async () => {
      const cache = momentoCacheStore(stackTarget())
      const [alice, group] = [unique('alice'), unique('group')]
      await cache.set(cacheKeys.conversations(alice), JSON.stringify('stale'))
      const result = await refreshAfterMessage(
        cache,
        {messageGroupUuid: group, participantUuids: [alice]},
        {
          getConversation: async () => 'fine',
          listConversations: async () => {
            throw new Error('DynamoDB hiccup')
          },
        },
      )
      expect(result.failed).to.deep.equal([cacheKeys.conversations(alice)])
      expect(await cache.get(cacheKeys.conversations(alice))).to.equal(undefined)
    })
  })

  describe('the read patterns and the stream, through the binary', () => {
    const table = `momento-test-${randomUUID().slice(0, 8)}`
    const [ann, ben] = ['ann', 'ben'].map((name) => `${name}_${randomUUID().slice(0, 8)}`)
    const tableFlags = ['--table', table]

    interface ConversationsJson {
      fromCache: boolean
      conversations: Array<{lastMessage: string; messageGroupUuid: string}>
    }

    interface ConversationJson {
      fromCache: boolean
      messages: Array<{text: string}>
    }

    const listOf = (handle: string, ...extra: string[]) =>
      cliJson<ConversationsJson>(['ddb', 'patterns', 'list-conversations', handle, ...tableFlags, ...extra])
    const processStream = async () => {
      const processed = await cli(['ddb', 'stream', 'process', '--once', '--cache', ...tableFlags])
      expect(processed.code, processed.stderr).to.equal(0)
    }

    before(async function () {
      this.timeout(120_000)
      const pool = new pg.Pool({connectionString: testStack().databaseUrl})
      try {
        await loadSchema(pool)
        for (const handle of [ann, ben]) {
          await pool.query('INSERT INTO users (display_name, handle, email) VALUES ($1, $2, $3)', [
            `User ${handle}`,
            handle,
            `${handle}@example.com`,
          ])
        }
      } finally {
        await pool.end()
      }

      const loaded = await cli(['ddb', 'schema-load', ...tableFlags])
      expect(loaded.code, loaded.stderr).to.equal(0)
    })

    after(async () => {
      await cli(['ddb', 'drop', ...tableFlags, '--yes'])
    })

    it("reads are DynamoDB's unless the cache is asked for, and say where they came from", async () => {
      const created = await cli([
        'ddb',
        'patterns',
        'create-message',
        '--from',
        ann,
        '--to',
        ben,
        'hello',
        ...tableFlags,
      ])
      expect(created.code, created.stderr).to.equal(0)
      expect((await listOf(ann)).json.fromCache).to.equal(false)
      expect((await listOf(ann)).json.fromCache).to.equal(false)
      expect((await listOf(ann, '--cache')).json.fromCache).to.equal(false)
      const hit = await listOf(ann, '--cache')
      expect(hit.json.fromCache).to.equal(true)
      expect(hit.json.conversations[0].lastMessage).to.equal('hello')
      expect((await listOf(ann, '--no-cache')).json.fromCache).to.equal(false)
      const fromEnv = await cliJson<ConversationsJson>(['ddb', 'patterns', 'list-conversations', ann, ...tableFlags], {
        env: {MOMENTO_CACHE_NAME: 'cruddur'},
      })
      expect(fromEnv.json.fromCache).to.equal(true)
      expect((await cli(['ddb', 'patterns', 'list-conversations', ann, '--cache', ...tableFlags])).stderr).to.include(
        '(from the cache)',
      )
    })

    it('the stream refresh makes the next read a hit with the new last message, for both participants', async () => {
      await processStream()
      const group = (await listOf(ann, '--cache')).json.conversations[0].messageGroupUuid
      const replied = await cli([
        'ddb',
        'patterns',
        'create-message',
        '--from',
        ben,
        '--group',
        group,
        'a fresh reply',
        ...tableFlags,
      ])
      expect(replied.code, replied.stderr).to.equal(0)
      await processStream()

      for (const handle of [ann, ben]) {
        const listed = await listOf(handle, '--cache')
        expect(listed.json.fromCache, handle).to.equal(true)
        expect(listed.json.conversations[0]).to.include({lastMessage: 'a fresh reply', messageGroupUuid: group})
        const read = await cliJson<ConversationJson>([
          'ddb',
          'patterns',
          'get-conversation',
          group,
          '--as',
          handle,
          '--cache',
          ...tableFlags,
        ])
        expect(read.json.fromCache, handle).to.equal(true)
        expect(read.json.messages[0].text).to.equal('a fresh reply')
      }

      const operator = await cliJson<ConversationJson>([
        'ddb',
        'patterns',
        'get-conversation',
        group,
        '--cache',
        ...tableFlags,
      ])
      expect(operator.json).to.deep.include({fromCache: true})
      expect(operator.json.messages.map((m) => m.text)).to.deep.equal(['a fresh reply', 'hello'])
    })

    it('a cached conversation is still refused to someone who is not in it', async () => {
      const group = (await listOf(ann, '--cache')).json.conversations[0].messageGroupUuid
      const outsider = `eve_${randomUUID().slice(0, 8)}`
      const pool = new pg.Pool({connectionString: testStack().databaseUrl})
      try {
        await pool.query('INSERT INTO users (display_name, handle, email) VALUES ($1, $2, $3)', [
          `User ${outsider}`,
          outsider,
          `${outsider}@example.com`,
        ])
      } finally {
        await pool.end()
      }

      const refused = await cli([
        'ddb',
        'patterns',
        'get-conversation',
        group,
        '--as',
        outsider,
        '--cache',
        ...tableFlags,
      ])
      expect(refused.code).to.not.equal(0)
      expect(errorLines(refused.stderr)).to.have.length(1)
    })

    it('with the cache down, cached reads still answer from DynamoDB, with one warning', async () => {
      const port = await freePort()
      const result = await cli(['ddb', 'patterns', 'list-conversations', ann, '--cache', ...tableFlags], {
        env: {MOMENTO_LOCAL_ENDPOINT: `127.0.0.1:${port}`},
      })
      expect(result.code, result.stderr).to.equal(0)
      expect(result.stdout).to.include('a fresh reply')
      expect(result.stderr.match(/warning: the cache is not answering/g)).to.have.length(1)
    })
  })

  describe('contract with Momento itself', () => {
    it('creates a cache, reads through it and deletes it (needs MOMENTO_API_KEY)', async function () {
      if (!process.env.MOMENTO_API_KEY) this.skip()
      this.timeout(60_000)
      const name = unique('cruddur-contract')
      const created = await cliJson<{created: boolean}>(['momento', 'create-cache', '--prod', '--cache', name])
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

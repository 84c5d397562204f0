/** Cache-aside (read-through, refresh after a message) with the real Momento SDK, against stand-ins. */
import type {QueryCommandInput} from '@aws-sdk/client-dynamodb'
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {createServer, type Server, type Socket} from 'node:net'

import {createMessage} from '../../src/lib/dynamodb/patterns/index.js'

import {readThrough, refreshAfterMessage, cacheKeys} from '../../src/lib/momento/cache-aside.js'
import {type CacheStore, cacheStoreOver, createMomentoClient, momentoCacheStore} from '../../src/lib/momento/client.js'
import {CACHE_TIMEOUT_MS} from '../../src/lib/momento/config.js'
import {startStandin} from '../../src/lib/momento/standin-server.js'
import {refreshConversationPages} from '../../src/lib/momento/pattern-cache.js'
import {countingLoader, localTarget, stackTarget, unique, useCacheWarnings} from '../support/momento.js'
import {createTestTable} from '../support/tables.js'

describe('momento', () => {
  const warnings = useCacheWarnings()

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

    it(
      'a cache that accepts connections but never answers ' + 'does not wait out its timeout: the database answers',
      async () => {
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
      },
    )

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

    it("a write's refresh reads the pages it stores strongly consistently, from the table", async () => {
      const fresh = await createTestTable(unique('refresh-consistent'))
      try {
        const [ann, bob] = ['ann', 'bob'].map((name) => ({displayName: name, handle: unique(name), uuid: randomUUID()}))
        const sent = await createMessage(fresh.messagesTable, {recipient: bob, sender: ann, text: 'hi'})
        const queries: QueryCommandInput[] = []
        fresh.ddb.client.middlewareStack.add(
          (next, context) => async (args) => {
            if (context.commandName === 'QueryCommand') queries.push(args.input as QueryCommandInput)
            return next(args)
          },
          {name: 'recordQueries', step: 'initialize'},
        )
        const cache = momentoCacheStore(stackTarget())
        const result = await refreshConversationPages(cache, fresh.messagesTable.withCache(cache), {
          messageGroupUuid: sent.messageGroupUuid,
          participantUuids: [ann.uuid, bob.uuid],
        })
        expect(result.failed).to.deep.equal([])
        // Both lists and the conversation: three page Queries, each consistent.
        expect(queries.map((query) => query.ConsistentRead)).to.deep.equal([true, true, true])
      } finally {
        await fresh.drop()
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

    it('a cache that failed and then stops answering does not hold up the refreshes after it', async function () {
      this.timeout(10_000) // without the bound, the first refresh would wait on its delete for ever
      // Writes fail at once (the cache is paused), deletes never answer: the worst a dead cache can do.
      const never = new Promise<never>(() => {})
      const down = async () => {
        throw new Error('the cache is down')
      }
      const dead: CacheStore = {
        delete: () => never,
        get: () => never,
        name: 'dead',
        set: down,
        setIfAbsent: down,
        ttlSeconds: 600,
      }
      for (let message = 0; message < 3; message++) {
        const result = await refreshAfterMessage(
          dead,
          {messageGroupUuid: unique('group'), participantUuids: [unique('alice'), unique('bob')]},
          {getConversation: async () => 'messages', listConversations: async () => 'list'},
        )
        expect(result.refreshed).to.deep.equal([])
        expect(result.failed).to.have.length(5)
      }

      expect(warnings).to.have.length(1)
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
})

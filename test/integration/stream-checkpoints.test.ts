/** The checkpoints and the lock of a stream: one processor per stream, private files, corrupt state named. */
import {expect} from 'chai'
import {createHash, randomUUID} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {CheckpointStore, retireStaleCheckpoints, type StreamIdentity} from '../../src/lib/stream/checkpoints.js'
import {cli, errorLines, ROOT} from '../support/cli.js'
import {contend} from '../support/contenders.js'
import {useProcessorRuns, useStreamTable} from '../support/stream.js'

/**
 * A processor starting up, as a separate process: told the instant, it takes the lock of each stream in turn
 * (one every 20 ms), prints `won` or the error code for each, and holds what it won until stdin closes.
 */
const CONTENDER = `
const {CheckpointStore} = await import(process.env.CHECKPOINTS_MODULE)
const {identities, stateDir} = JSON.parse(process.env.CONTENDER)
const stores = identities.map((identity) => new CheckpointStore(stateDir, identity))
process.stdout.write('ready\\n')
const startAt = Number(await new Promise((resolve) => process.stdin.once('data', resolve)))
const results = []
for (const [i, store] of stores.entries()) {
  while (performance.timeOrigin + performance.now() < startAt + i * 20) {}
  try {
    await store.lock()
    results.push('won')
  } catch (error) {
    results.push(error.code ?? String(error))
  }
}
process.stdout.write(JSON.stringify(results) + '\\n')
`

/** Runs `contenders` processors against the same streams at the same instants; one list of results per stream. */
const contendForStreams = (contenders: number, stateDir: string, identities: StreamIdentity[]) =>
  contend(contenders, CONTENDER, {
    CHECKPOINTS_MODULE: pathToFileURL(join(ROOT, 'src/lib/stream/checkpoints.ts')).href,
    CONTENDER: JSON.stringify({identities, stateDir}),
  })

describe('ddb stream', () => {
  const stream = useStreamTable()

  describe('the checkpoint lock', () => {
    let stateDir: string
    const identity = (n: number): StreamIdentity => ({
      endpoint: 'http://localhost:8000',
      streamArn: `arn:stream/${n}`,
      table: `lock-test-${n}`,
    })
    const lockFileOf = (store: CheckpointStore) => store.file.replace(/\.json$/, '.lock')
    const writeLock = (store: CheckpointStore, pid: number) => {
      mkdirSync(dirname(store.file), {recursive: true})
      writeFileSync(lockFileOf(store), String(pid))
    }

    // Above any pid_max, so no process has it.
    const deadPid = 2 ** 30

    beforeEach(() => {
      stateDir = mkdtempSync(join(tmpdir(), 'cruddur-lock-'))
    })

    afterEach(() => {
      rmSync(stateDir, {force: true, recursive: true})
    })

    it('of processors starting together, exactly one takes the lock', async () => {
      const identities = Array.from({length: 20}, (_, n) => identity(n))
      for (const contenders of await contendForStreams(4, stateDir, identities)) {
        expect(
          contenders.filter((result) => result === 'won'),
          contenders.join(),
        ).to.have.length(1)
        expect(contenders.filter((result) => result === 'CONFLICT')).to.have.length(3)
      }
    })

    it('a lock left by a dead process is taken over, by exactly one of the processors starting together', async () => {
      const identities = Array.from({length: 10}, (_, n) => identity(n))
      for (const id of identities) writeLock(new CheckpointStore(stateDir, id), deadPid)
      for (const contenders of await contendForStreams(4, stateDir, identities)) {
        expect(
          contenders.filter((result) => result === 'won'),
          contenders.join(),
        ).to.have.length(1)
      }
    })

    it(
      "a lock with this process's pid that no store here holds was " + 'left by an earlier process, and is taken over',
      async () => {
        const store = new CheckpointStore(stateDir, identity(0))
        writeLock(store, process.pid)
        await store.lock()
        store.unlock()
        expect(existsSync(lockFileOf(store))).to.equal(false)
      },
    )

    it(
      'stale checkpoints are removed: a replaced stream of the table at its endpoint, files past the retention, ' +
        'files of the old naming (adopted, without the password)',
      () => {
        const directory = join(stateDir, 'stream-checkpoints')
        mkdirSync(directory, {recursive: true})
        const current: StreamIdentity = {
          endpoint: 'http://localhost:8000',
          streamArn: 'arn:stream/new',
          table: 'messages',
        }
        const write = (name: string, data: object) => {
          writeFileSync(join(directory, name), JSON.stringify(data))
          return join(directory, name)
        }

        const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16)
        const replaced = write(`${hash('arn:stream/old')}.json`, {
          endpoint: 'http://127.0.0.1:8000',
          shards: {},
          streamArn: 'arn:stream/old',
          table: 'messages',
        })
        const elsewhere = write(`${hash('arn:stream/other')}.json`, {
          endpoint: 'http://localhost:9000',
          shards: {},
          streamArn: 'arn:stream/other',
          table: 'messages',
        })
        const expired = write(`${hash('arn:stream/idle')}.json`, {
          endpoint: 'http://localhost:9000',
          shards: {},
          streamArn: 'arn:stream/idle',
          table: 'other',
        })
        utimesSync(expired, new Date(Date.now() - 25 * 3_600_000), new Date(Date.now() - 25 * 3_600_000))
        const legacyEndpoint = 'http://someone:hunter2@localhost:8000'
        const legacy = write(`${hash(`${legacyEndpoint}\nmessages\narn:stream/new`)}.json`, {
          endpoint: legacyEndpoint,
          shards: {s1: {after: '42'}},
          streamArn: 'arn:stream/new',
          table: 'messages',
        })

        retireStaleCheckpoints(stateDir, current)
        for (const gone of [replaced, expired, legacy]) expect(existsSync(gone), gone).to.equal(false)
        expect(existsSync(elsewhere)).to.equal(true)
        const store = new CheckpointStore(stateDir, current)
        expect(store.shards).to.deep.equal({s1: {after: '42'}})
        expect(readFileSync(store.file, 'utf8')).to.not.include('hunter2')
      },
    )

    it('a processor stopped before it listed any shard forgets no checkpoint (an empty listing prunes nothing)', () => {
      const store = new CheckpointStore(stateDir, identity(1))
      store.advance('shardId-1', '000000000000000000001')
      store.prune([])
      expect(Object.keys(new CheckpointStore(stateDir, identity(1)).shards)).to.deep.equal(['shardId-1'])
      store.prune(['shardId-2'])
      expect(Object.keys(new CheckpointStore(stateDir, identity(1)).shards)).to.deep.equal([])
    })

    it('a second store of the same stream in one process is refused until the first unlocks', async () => {
      const [first, second] = [new CheckpointStore(stateDir, identity(0)), new CheckpointStore(stateDir, identity(0))]
      await first.lock()
      const refused = await second.lock().then(
        () => undefined,
        (error: Error) => error,
      )
      expect(refused?.message).to.match(/Another stream processor \(pid \d+\)/)
      first.unlock()
      await second.lock()
      second.unlock()
    })
  })

  describe('the processor through the binary: kills, re-created tables, endpoints, corrupt state', () => {
    const {endpoint, freshTable, storeOf, flags, pendingMessages, start, until, bounded} = useProcessorRuns(stream)

    it('`localhost` and `127.0.0.1` are one endpoint: one lock, one processor', async () => {
      const name = await freshTable()
      await pendingMessages(name, 1, 1)
      // The test stack records 127.0.0.1: the same DynamoDB Local by its other name.
      const otherName = endpoint().includes('//127.0.0.1:')
        ? endpoint().replace('//127.0.0.1:', '//localhost:')
        : endpoint().replace('//localhost:', '//127.0.0.1:')
      const processor = start(['ddb', 'stream', 'process', ...flags(name)])
      try {
        const store = await storeOf(name)
        await until('the lock', () => existsSync(store.lockFile))
        const second = await cli(['ddb', 'stream', 'process', '--once', ...flags(name, otherName)])
        expect(second.code).to.equal(9)
        expect(errorLines(second.stderr)).to.deep.equal([
          `Error: Another stream processor (pid ${processor.child.pid}) is processing the stream ` +
            `of table ${name}: stop it first, or let it do the work.`,
        ])
      } finally {
        processor.child.kill('SIGTERM')
        expect(await bounded('the processor', processor.exited)).to.equal(0)
      }
    })

    it('checkpoints are private (0600 in a 0700 directory) and hold no password of the endpoint', async () => {
      const name = await freshTable()
      await pendingMessages(name, 1, 1)
      const secret = `pw${randomUUID().slice(0, 8)}`
      const processed = await cli([
        'ddb',
        'stream',
        'process',
        '--once',
        ...flags(name, endpoint().replace('//', `//someone:${secret}@`)),
      ])
      expect(processed.code, processed.stderr).to.equal(0)
      const {file} = await storeOf(name)
      expect(readFileSync(file, 'utf8')).to.not.include(secret)
      expect(statSync(file).mode & 0o777).to.equal(0o600)
      expect(statSync(dirname(file)).mode & 0o777).to.equal(0o700)
    })

    it('a corrupt lock is one line naming the file, at once', async () => {
      const name = await freshTable()
      const store = await storeOf(name)
      mkdirSync(dirname(store.lockFile), {recursive: true})
      writeFileSync(store.lockFile, 'not a pid')
      const result = await bounded('process --once', cli(['ddb', 'stream', 'process', '--once', ...flags(name)]))
      expect(result.code).to.equal(9)
      expect(errorLines(result.stderr)).to.deep.equal([
        `Error: The stream lock ${store.lockFile} is corrupt (it holds no process id): ` +
          'if no stream processor is running, delete it.',
      ])
    })

    it("a processor waiting for another one's takeover of a stale lock ends on SIGTERM", async () => {
      const name = await freshTable()
      const store = await storeOf(name)
      mkdirSync(dirname(store.lockFile), {recursive: true})
      writeFileSync(store.lockFile, String(2 ** 30)) // a dead processor's
      writeFileSync(`${store.lockFile}.takeover`, String(process.pid)) // a live one taking it over
      const processor = start(['ddb', 'stream', 'process', ...flags(name)])
      try {
        await until('the processor to wait', () => processor.stderr().includes('is taking over the stale lock'))
        processor.child.kill('SIGTERM')
        expect(await bounded('the processor', processor.exited)).to.equal(0)
      } finally {
        processor.child.kill('SIGKILL')
      }
    })

    for (const [what, corrupt, problem] of [
      ['not JSON', () => '{"shards": ', 'not JSON'],
      ['"after": "garbage"', () => ({after: 'garbage'}), 'shard <shard>: "after" is not a sequence number'],
      [
        'a live shard marked finished',
        () => ({finished: true}),
        'shard <shard>: marked finished, but the shard is open',
      ],
    ] as const) {
      it(`a corrupt checkpoint (${what}) is one line naming the file`, async () => {
        const name = await freshTable()
        await pendingMessages(name, 1, 1)
        expect((await cli(['ddb', 'stream', 'process', '--once', ...flags(name)])).code).to.equal(0)
        const {file} = await storeOf(name)
        const saved = JSON.parse(readFileSync(file, 'utf8')) as {shards: Record<string, object>}
        const [shardId] = Object.keys(saved.shards)
        const written = corrupt()
        writeFileSync(
          file,
          typeof written === 'string' ? written : JSON.stringify({...saved, shards: {[shardId]: written}}),
        )
        await pendingMessages(name, 1, 1)
        const result = await bounded('process --once', cli(['ddb', 'stream', 'process', '--once', ...flags(name)]))
        expect(result.code, result.stderr).to.equal(9)
        expect(errorLines(result.stderr)).to.deep.equal([
          `Error: The stream checkpoint ${file} is corrupt (${problem.replace('<shard>', shardId)}): ` +
            'delete it to process the stream from its start again (Pattern D is idempotent).',
        ])
      })
    }

    it('an unusable --state-dir is one error line, at once', async () => {
      const name = await freshTable()
      const result = await bounded(
        'process --once',
        cli([
          'ddb',
          'stream',
          'process',
          '--once',
          '--table',
          name,
          '--endpoint',
          endpoint(),
          '--state-dir',
          '/proc/cruddur-x',
        ]),
      )
      expect(result.code).to.equal(2)
      expect(errorLines(result.stderr)).to.deep.equal([
        'Error: Cannot write to /proc/cruddur-x/stream-checkpoints (ENOENT): pass a writable --state-dir.',
      ])
    })
  })
})

import {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {DynamoDBStreamsClient} from '@aws-sdk/client-dynamodb-streams'
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {LOCAL_CREDENTIALS} from '../../src/lib/aws-config.js'
import {processStream, type ProcessStreamOptions} from '../../src/lib/stream/processor.js'
import {testStack} from '../hooks.js'
import {type FaultProxy, startFaultProxy} from '../support/fault-proxy.js'
import {createTestTable} from '../support/tables.js'

describe('a caught-up stream processor', () => {
  const table = `stream-polling-${randomUUID().slice(0, 8)}`
  let fresh: Awaited<ReturnType<typeof createTestTable>>
  let proxy: FaultProxy
  let client: DynamoDBClient
  let streams: DynamoDBStreamsClient
  let stateDir: string

  before(async () => {
    fresh = await createTestTable(table)
    // Every request of the processor goes through the proxy, which counts them by operation.
    proxy = await startFaultProxy({target: testStack().dynamodbEndpoint})
    const config = {credentials: LOCAL_CREDENTIALS, endpoint: proxy.endpoint, region: 'us-east-1'}
    client = new DynamoDBClient(config)
    streams = new DynamoDBStreamsClient(config)
  })

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'cruddur-polling-'))
  })

  afterEach(() => rmSync(stateDir, {force: true, recursive: true}))

  after(async () => {
    client.destroy()
    streams.destroy()
    await proxy.close()
    await fresh.drop()
  })

  const count = (operation: string) => proxy.stats.operations[operation] ?? 0

  /** Waits for `condition`, checking every 20 ms; 30 s without it fail the test. */
  async function until(what: string, condition: () => boolean) {
    for (const give = Date.now() + 30_000; !condition(); await new Promise((resolve) => setTimeout(resolve, 20))) {
      if (Date.now() > give) throw new Error(`still waiting for ${what}`)
    }
  }

  /** A processor polling every 20 ms, once it is caught up; `stop()` ends it and returns its result. */
  async function caughtUpProcessor(options: Partial<ProcessStreamOptions> = {}) {
    const abort = new AbortController()
    let caughtUp = false
    const running = processStream({
      client,
      endpoint: proxy.endpoint,
      handler: async () => ({batchItemFailures: []}),
      onProgress: (progress) => (caughtUp ||= progress.caughtUp),
      pollIntervalMs: 20,
      signal: abort.signal,
      stateDir,
      streams,
      table,
      ...options,
    })
    await until('caught up', () => caughtUp)
    return {
      async stop() {
        abort.abort()
        return running
      },
    }
  }

  it('polls the stream without a DescribeTable on every poll', async () => {
    const processor = await caughtUpProcessor()
    const [describes, polls] = [count('DescribeTable'), count('GetRecords')]
    await until('20 more polls', () => count('GetRecords') >= polls + 20)
    expect(count('DescribeTable') - describes, 'DescribeTable requests while caught up').to.equal(0)
    expect((await processor.stop()).failed).to.deep.equal([])
  })

  it('asks for its table at once when a read meets an expired iterator, then goes on', async () => {
    const processor = await caughtUpProcessor({tableCheckIntervalMs: 600_000})
    const describes = count('DescribeTable')
    proxy.configure({operations: ['GetRecords'], script: ['expiredIterator']})
    await until('the expired iterator', () => proxy.stats.faults.expiredIterator === 1)
    await until('the table asked for', () => count('DescribeTable') === describes + 1)
    const polls = count('GetRecords')
    await until('10 more polls', () => count('GetRecords') >= polls + 10)
    expect(count('DescribeTable')).to.equal(describes + 1)
    const result = await processor.stop()
    expect(result.failed).to.deep.equal([])
    expect(result.streamArn).to.be.a('string').and.not.equal('')
  })
})

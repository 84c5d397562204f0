// Stream: 5,000 messages across 100 conversations through the stream processor (`cruddur ddb stream process`'s
// library, with the Lambda's handler), on a stack of its own. Reports
//   - drain: records/s when the processor catches up on 5,000 messages already written, against the floor of
//     applying the same number of messages directly (Pattern D without the stream) in the same run;
//   - live: the lag from a message's write to both its conversation rows being updated, p50/p99, while
//     5,000 more messages are written with the processor running.
// Messages are written as bare items (not through create-message, which applies Pattern D itself), so every
// row update measured here is the stream's doing.
import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

import {percentile, ROOT, withStack} from './support.js'

const MESSAGES = Number(process.env.BENCH_STREAM_MESSAGES ?? 5000)
const CONVERSATIONS = Number(process.env.BENCH_STREAM_CONVERSATIONS ?? 100)
const WRITERS = 8
// The live phase writes at a steady rate below the processor's capacity, so the lag is the pipeline's own,
// not a backlog's (DynamoDB Local applies Pattern D at roughly 100 messages/s).
const LIVE_RATE = Number(process.env.BENCH_STREAM_RATE ?? 50)
const lib = (path) => import(join(ROOT, 'dist', 'lib', path))

await withStack(async ({state}) => {
  const {CreateTableCommand, DynamoDBClient} = await import('@aws-sdk/client-dynamodb')
  const {DynamoDBStreamsClient} = await import('@aws-sdk/client-dynamodb-streams')
  const {DynamoDBDocumentClient, PutCommand} = await import('@aws-sdk/lib-dynamodb')
  const {messagesTableDefinition} = await lib('dynamodb/schema.js')
  const {messageItem} = await lib('dynamodb/items.js')
  const {MessagesTable} = await lib('dynamodb/messages-table.js')
  const {createMessage} = await lib('dynamodb/patterns/create-message.js')
  const {applyMessageToConversation} = await lib('dynamodb/patterns/update-message-group.js')
  const {createStreamHandler} = await lib('stream/handler.js')
  const {processStream} = await lib('stream/processor.js')

  const config = {
    credentials: {accessKeyId: 'x', secretAccessKey: 'x'},
    endpoint: state.dynamodb.endpoint,
    region: 'us-east-1',
  }
  const client = new DynamoDBClient(config)
  const doc = DynamoDBDocumentClient.from(client)
  const streams = new DynamoDBStreamsClient(config)
  const table = 'bench-stream'
  const messagesTable = new MessagesTable({doc, name: table})
  await client.send(new CreateTableCommand(messagesTableDefinition({tableName: table})))

  const person = () => ({displayName: 'Bench User', handle: `u${randomUUID().slice(0, 8)}`, uuid: randomUUID()})
  const conversations = []
  for (let i = 0; i < CONVERSATIONS; i++) {
    const [a, b] = [person(), person()]
    const {messageGroupUuid} = await createMessage(messagesTable, {
      now: new Date(Date.UTC(2026, 0, 1)),
      recipient: b,
      sender: a,
      text: 'hello',
    })
    conversations.push({a, b, group: messageGroupUuid})
  }

  let clock = Date.UTC(2026, 0, 2)
  const nextMessage = (i) => {
    const {a, b, group} = conversations[i % CONVERSATIONS]
    // Distinct, rising times: each message is newer than the last, so every one moves its rows.
    return messageItem({
      createdAt: new Date(clock++).toISOString(),
      messageGroupUuid: group,
      messageUuid: randomUUID(),
      sender: i % 2 ? a : b,
      text: `message ${i}`,
    })
  }

  /**
   * Writes `count` messages with a few concurrent writers, as fast as they go or at `rate` per second;
   * `onWrite` gets each one as it is sent.
   */
  async function writeMessages(count, {onWrite = () => {}, rate} = {}) {
    let next = 0
    const start = performance.now()
    await Promise.all(
      Array.from({length: WRITERS}, async () => {
        while (next < count) {
          const i = next++
          const item = nextMessage(i)
          const due = rate ? start + (i * 1000) / rate - performance.now() : 0
          if (due > 0) await new Promise((resolve) => setTimeout(resolve, due))
          onWrite(item)
          await doc.send(new PutCommand({Item: item, TableName: table}))
        }
      }),
    )
  }

  const stateDir = mkdtempSync(join(tmpdir(), 'cruddur-bench-stream-'))
  const run = (handler, extra = {}) =>
    processStream({client, endpoint: state.dynamodb.endpoint, handler, stateDir, streams, table, ...extra})
  const silent = () => {}
  try {
    // Start the checkpoint after the conversations' creation.
    await run(createStreamHandler({log: silent, table: messagesTable}), {once: true})

    // Floor: Pattern D applied directly, as fast as the handler's parallelism allows (16 conversations at once).
    const direct = Array.from({length: MESSAGES}, (_, i) => nextMessage(i))
    let started = performance.now()
    const queue = [...direct]
    await Promise.all(
      Array.from({length: 16}, async () => {
        for (let item = queue.shift(); item; item = queue.shift()) await applyMessageToConversation(messagesTable, item)
      }),
    )
    const directRate = MESSAGES / ((performance.now() - started) / 1000)
    // The floor's row moves are in the stream too: step past them, untimed.
    await run(createStreamHandler({log: silent, table: messagesTable}), {once: true})

    // Drain: the messages are in the stream before the processor starts.
    await writeMessages(MESSAGES)
    started = performance.now()
    const drained = await run(createStreamHandler({log: silent, table: messagesTable}), {once: true})
    const drainSeconds = (performance.now() - started) / 1000
    const drainRate = drained.records / drainSeconds

    // Live: the processor runs while messages are written; lag is write sent → both rows moved.
    const written = new Map()
    const lags = []
    const controller = new globalThis.AbortController()
    const handler = createStreamHandler({
      afterApply(message) {
        const at = written.get(message.message_uuid)
        if (at !== undefined) lags.push(performance.now() - at)
        if (lags.length === MESSAGES) controller.abort()
      },
      log: silent,
      table: messagesTable,
    })
    started = performance.now()
    const live = run(handler, {pollIntervalMs: 20, signal: controller.signal})
    await writeMessages(MESSAGES, {
      onWrite: (item) => written.set(item.message_uuid, performance.now()),
      rate: LIVE_RATE,
    })
    const liveResult = await live
    const liveSeconds = (performance.now() - started) / 1000

    console.log(
      `messages                        ${MESSAGES} across ${CONVERSATIONS} conversations (${WRITERS} writers)`,
    )
    console.log(`direct Pattern D (floor)        ${Math.round(directRate)} messages/s`)
    const drainMessageRate = drained.applied / drainSeconds
    console.log(
      `stream process, drain           ${Math.round(drainRate)} records/s = ${Math.round(drainMessageRate)} ` +
        `messages/s (${((drainMessageRate / directRate) * 100).toFixed(0)}% of direct; ${drained.records} records: ` +
        `${drained.applied} messages, the rest row moves passed over)`,
    )
    console.log(
      `stream process, live            ${Math.round(liveResult.records / liveSeconds)} records/s ` +
        `while ${LIVE_RATE} messages/s are written (${liveResult.records} records)`,
    )
    console.log(
      `write → rows updated, live      p50 ${percentile(lags, 50).toFixed(0)} ms · ` +
        `p99 ${percentile(lags, 99).toFixed(0)} ms (${lags.length} messages)`,
    )
  } finally {
    rmSync(stateDir, {force: true, recursive: true})
    streams.destroy()
    client.destroy()
  }
})

// Doctor: 10,000 conversations and 200,000 messages. `cruddur ddb doctor`'s time, requests per conversation and
// peak memory (max RSS) against a raw parallel Scan of the index plus one Limit-1 Query per conversation, and
// `--deep` against a raw parallel Scan of the table, in the same run. Goals: doctor within 2x of its floor, peak
// memory under 200 MB; --deep at 80% or more of the raw table scan's rate.
// CRUDDUR_BENCH_BASELINE=<another checkout, built> also times that checkout's `ddb doctor` (and `--deep`) beside
// this one's on the same table, in interleaved rounds: a ratio against a floor measured once per run moves by
// ±10% between runs, which hides or invents a difference between two builds.
import {randomUUID} from 'node:crypto'

import {marshall} from '@aws-sdk/util-dynamodb'

import {
  BASELINE_BIN,
  BIN,
  fillTable,
  LOCAL_CREDENTIALS,
  runMeasured,
  schemaLoad,
  timeCommands,
  withStack,
} from './support.js'

const CONVERSATIONS = Number(process.env.BENCH_DOCTOR_CONVERSATIONS ?? 10_000)
const MESSAGES = Number(process.env.BENCH_DOCTOR_MESSAGES ?? 200_000)
const SEGMENTS = 8
const BASELINE_ROUNDS = Number(process.env.BENCH_DOCTOR_BASELINE_ROUNDS ?? 7)
const TABLE = 'bench-doctor'

await withStack(async ({state, stateDir}) => {
  const {DynamoDBClient} = await import('@aws-sdk/client-dynamodb')
  const {DynamoDBDocumentClient, QueryCommand, paginateScan} = await import('@aws-sdk/lib-dynamodb')
  const client = new DynamoDBClient({
    credentials: LOCAL_CREDENTIALS,
    endpoint: state.dynamodb.endpoint,
    region: 'us-east-1',
  })
  const doc = DynamoDBDocumentClient.from(client)
  const env = {...process.env, CRUDDUR_STATE_DIR: stateDir}
  schemaLoad(stateDir, TABLE)

  // A healthy table in the canonical layout: messages, and two rows per conversation at its newest message.
  const perConversation = Math.max(1, Math.floor(MESSAGES / CONVERSATIONS))
  const base = Date.UTC(2026, 0, 1) * 1000
  const key = (micros) =>
    `${new Date(micros / 1000).toISOString().slice(0, 23)}${String(micros % 1000).padStart(3, '0')}+00:00`
  function* items() {
    for (let c = 0; c < CONVERSATIONS; c++) {
      const group = randomUUID()
      const [a, b] = [randomUUID(), randomUUID()]
      let last
      for (let m = 0; m < perConversation; m++) {
        last = {
          message: `message ${m} lorem ipsum`,
          message_uuid: randomUUID(),
          pk: `MSG#${group}`,
          sk: key(base + c * 1000 + m * 7),
          user_display_name: 'A',
          user_handle: 'a',
          user_uuid: m % 2 ? a : b,
        }
        yield last
      }

      for (const [owner, other] of [
        [a, b],
        [b, a],
      ]) {
        yield {
          last_message_sk: last.sk,
          message: last.message,
          message_group_uuid: group,
          pk: `GRP#${owner}`,
          sk: last.sk,
          user_display_name: 'O',
          user_handle: 'o',
          user_uuid: other,
        }
      }
    }
  }

  const written = await fillTable(
    client,
    TABLE,
    (function* () {
      for (const item of items()) yield marshall(item)
    })(),
  )

  // Floor: a raw parallel Scan of the index, then one Limit-1 Query per conversation (32 in flight).
  let started = Date.now()
  let requests = 0
  const groups = new Set()
  await Promise.all(
    Array.from({length: SEGMENTS}, async (_, segment) => {
      for await (const page of paginateScan(
        {client: doc, pageSize: 1000},
        {IndexName: 'message-group-sk-index', Segment: segment, TableName: TABLE, TotalSegments: SEGMENTS},
      )) {
        requests++
        for (const row of page.Items) groups.add(row.message_group_uuid)
      }
    }),
  )
  const queue = [...groups]
  await Promise.all(
    Array.from({length: 32}, async () => {
      while (queue.length > 0) {
        const group = queue.pop()
        requests++
        await doc.send(
          new QueryCommand({
            ExpressionAttributeValues: {':pk': `MSG#${group}`},
            KeyConditionExpression: 'pk = :pk',
            Limit: 1,
            ScanIndexForward: false,
            TableName: TABLE,
          }),
        )
      }
    }),
  )
  const floorMs = Date.now() - started

  // Floor for --deep: a raw parallel Scan of the whole table.
  started = Date.now()
  let scanned = 0
  await Promise.all(
    Array.from({length: SEGMENTS}, async (_, segment) => {
      for await (const page of paginateScan(
        {client: doc, pageSize: 1000},
        {Segment: segment, TableName: TABLE, TotalSegments: SEGMENTS},
      ))
        scanned += page.Items.length
    }),
  )
  const tableScanMs = Date.now() - started
  client.destroy()

  const doctor = await runMeasured(['ddb', 'doctor', '--table', TABLE, '--json'], env, {json: true})
  const deep = await runMeasured(['ddb', 'doctor', '--deep', '--table', TABLE, '--json'], env, {json: true})
  const perConv = (count) => (count / groups.size).toFixed(2)
  console.log(
    `table                          ${groups.size} conversations, ` +
      `${written - 2 * groups.size} messages (${scanned} items)`,
  )
  console.log(`raw index Scan + Query/conv    ${floorMs} ms, ${perConv(requests)} requests/conversation`)
  console.log(
    `cruddur ddb doctor             ${doctor.ms} ms (${(doctor.ms / floorMs).toFixed(2)}x the floor; goal <= 2x), ` +
      `${perConv(doctor.json.requests)} requests/conversation, peak ${doctor.mb.toFixed(0)} MB (goal < 200 MB), ` +
      `healthy=${doctor.json.healthy}`,
  )
  console.log(
    `raw table Scan (${SEGMENTS} segments)  ${tableScanMs} ms, ${Math.round(scanned / (tableScanMs / 1000))} items/s`,
  )
  // --deep does what doctor does and then scans the table: its floor is both floors together.
  const deepFloorMs = floorMs + tableScanMs
  console.log(
    `cruddur ddb doctor --deep      ${deep.ms} ms ` +
      `(${((deepFloorMs / deep.ms) * 100).toFixed(0)}% of the rate of its floor, ${deepFloorMs} ms; goal >= 80%), ` +
      `peak ${deep.mb.toFixed(0)} MB, healthy=${deep.json.healthy}`,
  )

  if (BASELINE_BIN) {
    const doctorArgs = (bin, ...extra) => [process.execPath, [bin, 'ddb', 'doctor', ...extra, '--table', TABLE]]
    const medians = timeCommands(
      {
        after: doctorArgs(BIN),
        afterDeep: doctorArgs(BIN, '--deep'),
        before: doctorArgs(BASELINE_BIN),
        beforeDeep: doctorArgs(BASELINE_BIN, '--deep'),
      },
      {env, runs: BASELINE_ROUNDS},
    )
    const vs = (after, before) =>
      `${after.toFixed(0)} ms vs ${before.toFixed(0)} ms (${((after / before) * 100).toFixed(0)}%)`
    console.log(`this build vs the baseline, medians of ${BASELINE_ROUNDS} interleaved rounds on the same table:`)
    console.log(`  ddb doctor                   ${vs(medians.after, medians.before)}`)
    console.log(`  ddb doctor --deep            ${vs(medians.afterDeep, medians.beforeDeep)}`)
    const baselinePeak = await runMeasured(['ddb', 'doctor', '--table', TABLE], env, {bin: BASELINE_BIN})
    const peak = await runMeasured(['ddb', 'doctor', '--table', TABLE], env)
    console.log(`  ddb doctor peak RSS          ${peak.mb.toFixed(0)} MB vs ${baselinePeak.mb.toFixed(0)} MB`)
  }
})

// Export: 100,000 items through `cruddur ddb export` (each format), items/s and peak memory (max RSS of the
// command), against a raw parallel Scan (the same segments, same SDK, items only counted) in the same run.
// Goals: ≥ 80% of the raw rate, peak memory under 150 MB at any size.
import {randomUUID} from 'node:crypto'
import {DynamoDBClient, ScanCommand} from '@aws-sdk/client-dynamodb'

import {fillTable, LOCAL_CREDENTIALS, runMeasured, schemaLoad, withStack} from './support.js'

const ITEMS = Number(process.env.BENCH_EXPORT_ITEMS ?? 100_000)
const SEGMENTS = 4
const TABLE = 'bench-export'

await withStack(async ({state, stateDir}) => {
  const env = {...process.env, CRUDDUR_STATE_DIR: stateDir}
  schemaLoad(stateDir, TABLE)
  const client = new DynamoDBClient({
    credentials: LOCAL_CREDENTIALS,
    endpoint: state.dynamodb.endpoint,
    region: 'us-east-1',
  })
  const text = 'lorem ipsum '.repeat(10)
  function* items() {
    for (let index = 0; index < ITEMS; index++) {
      yield {
        message: {S: text},
        message_uuid: {S: randomUUID()},
        pk: {S: `MSG#${index % 1000}`},
        sk: {S: `2026-01-01T00:00:00.${String(index).padStart(6, '0')}+00:00`},
        user_display_name: {S: 'Bench User'},
        user_handle: {S: 'bench'},
        user_uuid: {S: randomUUID()},
      }
    }
  }

  await fillTable(client, TABLE, items())

  // The raw Scan, timed before and after the exports: DynamoDB Local's first full read of a table is slower
  // than later ones, so the faster of the two is the floor.
  const rawScan = async () => {
    const started = Date.now()
    const counts = await Promise.all(
      Array.from({length: SEGMENTS}, async (_, Segment) => {
        let count = 0
        let ExclusiveStartKey
        do {
          const page = await client.send(
            new ScanCommand({ExclusiveStartKey, Segment, TableName: TABLE, TotalSegments: SEGMENTS}),
          )
          count += page.Items.length
          ExclusiveStartKey = page.LastEvaluatedKey
        } while (ExclusiveStartKey)
        return count
      }),
    )
    return {
      count: counts.reduce((a, b) => a + b, 0),
      rate: counts.reduce((a, b) => a + b, 0) / ((Date.now() - started) / 1000),
    }
  }

  const first = await rawScan()
  const results = []
  for (const flags of [
    ['--format', 'ndjson'],
    ['--format', 'dynamodb-json'],
    ['--format', 'ndjson', '--anonymize'],
  ]) {
    const args = ['ddb', 'export', '--table', TABLE, '--segments', String(SEGMENTS), ...flags]
    const {lines, mb, ms} = await runMeasured(args, env)
    results.push({flags, lines, mb, rate: lines / (ms / 1000)})
  }

  const second = await rawScan()
  client.destroy()
  const rawRate = Math.max(first.rate, second.rate)
  console.log(`items                          ${first.count}`)
  console.log(
    `raw parallel Scan (${SEGMENTS} segments) ${Math.round(first.rate)} items/s before the exports, ` +
      `${Math.round(second.rate)} after`,
  )
  for (const {flags, lines, mb, rate} of results) {
    console.log(
      `export ${flags.slice(1).join(' ').padEnd(24)}${Math.round(rate)} items/s ` +
        `(${((rate / rawRate) * 100).toFixed(0)}% of the faster raw Scan), ${lines} lines, ` +
        `peak memory ${mb.toFixed(0)} MB (goal < 150 MB)`,
    )
  }
})

// Import: an export of 100,000 items (plain ndjson, as bench/export.js makes them) through `cruddur ddb
// import FILE`, items/s, against a raw BatchWriteItem loop (25 a request, the same concurrency, items already
// in memory, no checks, no retries) writing the same items. Goal: ≥ 80% of the raw rate.
//
// Each side gets a fresh DynamoDB Local of its own (see bench/seed.js: what DynamoDB Local writes second into
// an indexed table goes slower, so one engine would measure the order).
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {marshall} from '@aws-sdk/util-dynamodb'

import {LOCAL_CREDENTIALS, rawBatchWrite, runMeasured, schemaLoad, withStack} from './support.js'

const ITEMS = Number(process.env.BENCH_IMPORT_ITEMS ?? 100_000)
const CONCURRENCY = 8
const TABLE = 'bench-import'

const dir = mkdtempSync(join(tmpdir(), 'cruddur-bench-import-'))
const file = join(dir, 'items.ndjson')
const text = 'lorem ipsum '.repeat(10)
const lines = Array.from({length: ITEMS}, (_, index) =>
  JSON.stringify({
    message: text,
    message_uuid: `uuid-${index}`,
    pk: `MSG#${index % 1000}`,
    sk: `2026-01-01T00:00:00.${String(index).padStart(6, '0')}+00:00`,
    user_display_name: 'Bench User',
    user_handle: 'bench',
    user_uuid: `user-${index % 50}`,
  }),
)
writeFileSync(file, lines.join('\n') + '\n')

try {
  const imported = await withStack(async ({stateDir}) => {
    schemaLoad(stateDir, TABLE)
    const env = {...process.env, CRUDDUR_STATE_DIR: stateDir}
    const args = ['ddb', 'import', file, '--table', TABLE, '--concurrency', String(CONCURRENCY), '--json']
    const {json, mb, ms} = await runMeasured(args, env, {json: true})
    return {...json, mb, wall: ms / 1000}
  })

  const rawRate = await withStack(async ({state, stateDir}) => {
    schemaLoad(stateDir, TABLE)
    const items = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => marshall(JSON.parse(line)))
    const client = new DynamoDBClient({
      credentials: LOCAL_CREDENTIALS,
      endpoint: state.dynamodb.endpoint,
      region: 'us-east-1',
    })
    const rate = await rawBatchWrite(client, TABLE, items, CONCURRENCY)
    client.destroy()
    return rate
  })

  console.log(`items                    ${imported.items}`)
  console.log(`raw BatchWriteItem loop  ${Math.round(rawRate)} items/s`)
  console.log(
    `cruddur ddb import       ${imported.itemsPerSecond} items/s writing ` +
      `(${((imported.itemsPerSecond / rawRate) * 100).toFixed(0)}% of raw); ` +
      `${Math.round(imported.items / imported.wall)} items/s with the check and startup`,
  )
  console.log(`peak memory (max RSS)    ${imported.mb.toFixed(0)} MB (goal < 150 MB)`)
} finally {
  rmSync(dir, {force: true, recursive: true})
}

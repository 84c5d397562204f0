// Import: an export of 100,000 items (plain ndjson, as bench/export.js makes them) through `cruddur ddb
// import FILE`, items/s, against a raw BatchWriteItem loop (25 a request, the same concurrency, items already
// in memory, no checks, no retries) writing the same items. Goal: ≥ 80% of the raw rate.
//
// Each side gets a fresh DynamoDB Local of its own (see bench/seed.js: what DynamoDB Local writes second into
// an indexed table goes slower, so one engine would measure the order).
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {BatchWriteItemCommand, DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {marshall} from '@aws-sdk/util-dynamodb'

import {BIN, withStack} from './support.js'

const ITEMS = Number(process.env.BENCH_IMPORT_ITEMS ?? 100_000)
const CONCURRENCY = 8
const TABLE = 'bench-import'
const credentials = {accessKeyId: 'local', secretAccessKey: 'local'}

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
    const env = {...process.env, CRUDDUR_STATE_DIR: stateDir}
    spawnSync(process.execPath, [BIN, 'ddb', 'schema-load', '--table', TABLE], {env})
    const started = Date.now()
    const result = spawnSync(
      '/usr/bin/time',
      [
        '-f',
        '%M',
        process.execPath,
        BIN,
        'ddb',
        'import',
        file,
        '--table',
        TABLE,
        '--concurrency',
        String(CONCURRENCY),
        '--json',
      ],
      {encoding: 'utf8', env},
    )
    if (result.status !== 0) throw new Error(result.stdout + result.stderr)
    const json = JSON.parse(result.stdout)
    return {...json, maxRssKb: Number(result.stderr.trim().split('\n').at(-1)), wall: (Date.now() - started) / 1000}
  })

  const rawRate = await withStack(async ({state, stateDir}) => {
    spawnSync(process.execPath, [BIN, 'ddb', 'schema-load', '--table', TABLE], {
      env: {...process.env, CRUDDUR_STATE_DIR: stateDir},
    })
    const items = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => marshall(JSON.parse(line)))
    const client = new DynamoDBClient({credentials, endpoint: state.dynamodb.endpoint, region: 'us-east-1'})
    let next = 0
    const started = Date.now()
    await Promise.all(
      Array.from({length: CONCURRENCY}, async () => {
        while (next < items.length) {
          const batch = items.slice(next, next + 25).map((Item) => ({PutRequest: {Item}}))
          next += batch.length
          await client.send(new BatchWriteItemCommand({RequestItems: {[TABLE]: batch}}))
        }
      }),
    )
    const rate = items.length / ((Date.now() - started) / 1000)
    client.destroy()
    return rate
  })

  console.log(`items                    ${imported.items}`)
  console.log(`raw BatchWriteItem loop  ${Math.round(rawRate)} items/s`)
  console.log(
    `cruddur ddb import       ${imported.itemsPerSecond} items/s writing (${((imported.itemsPerSecond / rawRate) * 100).toFixed(0)}% of raw); ${Math.round(imported.items / imported.wall)} items/s with the check and startup`,
  )
  console.log(`peak memory (max RSS)    ${(imported.maxRssKb / 1024).toFixed(0)} MB (goal < 150 MB)`)
} finally {
  rmSync(dir, {force: true, recursive: true})
}

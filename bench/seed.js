// Seed throughput: `cruddur ddb seed` writing 25,000 items against a minimal raw BatchWriteItem loop with
// the same SDK writing the very same items (the engine's floor on this machine), in the same run.
// Goal: seed ≥ 80% of the raw rate.
//
// Each side gets a fresh DynamoDB Local of its own: measured here, whatever DynamoDB Local writes second
// into an indexed table goes 3-30x slower than what it wrote first (the seed command itself included), so
// sharing one engine would measure the order, not the tool. The floor writes the items the seed wrote (read
// back untimed), into a table defined the same way.
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {DynamoDBClient, ScanCommand} from '@aws-sdk/client-dynamodb'
import pg from 'pg'

import {BIN, LOCAL_CREDENTIALS, rawBatchWrite, ROOT, schemaLoad, withStack} from './support.js'

const CONVERSATIONS = 50
const MESSAGES = 498 // 50 × 498 messages + 100 conversation rows = 25,000 items
const CONCURRENCY = 8

const cli = (stateDir) => (args) => {
  const result = spawnSync(process.execPath, [BIN, ...args, '--json'], {
    encoding: 'utf8',
    env: {...process.env, CRUDDUR_STATE_DIR: stateDir},
  })
  if (result.status !== 0) throw new Error(result.stdout + result.stderr)
  return JSON.parse(result.stdout)
}

const {seeded, items} = await withStack(async ({state, stateDir}) => {
  const {loadSchema} = await import(join(ROOT, 'dist/lib/postgres/schema.js'))
  const pool = new pg.Pool({connectionString: state.postgres.url})
  await loadSchema(pool)
  for (let i = 0; i < 11; i++) {
    await pool.query('INSERT INTO users (display_name, handle, email) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      `Bench ${i}`,
      `bench${i}`,
      `bench${i}@example.com`,
    ])
  }

  await pool.end()
  const run = cli(stateDir)
  run(['ddb', 'schema-load', '--table', 'bench-seed'])
  const seeded = run([
    'ddb',
    'seed',
    '--table',
    'bench-seed',
    '--conversations',
    String(CONVERSATIONS),
    '--messages',
    String(MESSAGES),
    '--concurrency',
    String(CONCURRENCY),
    '--seed',
    '42',
  ])

  const client = new DynamoDBClient({
    credentials: LOCAL_CREDENTIALS,
    endpoint: state.dynamodb.endpoint,
    region: 'us-east-1',
  })
  const items = []
  let ExclusiveStartKey
  do {
    const page = await client.send(new ScanCommand({ExclusiveStartKey, TableName: 'bench-seed'}))
    items.push(...page.Items)
    ExclusiveStartKey = page.LastEvaluatedKey
  } while (ExclusiveStartKey)

  client.destroy()
  return {items, seeded}
})

const rawRate = await withStack(async ({state, stateDir}) => {
  schemaLoad(stateDir, 'bench-raw')
  const client = new DynamoDBClient({
    credentials: LOCAL_CREDENTIALS,
    endpoint: state.dynamodb.endpoint,
    region: 'us-east-1',
  })
  const rate = await rawBatchWrite(client, 'bench-raw', items, CONCURRENCY)
  client.destroy()
  return rate
})

console.log(`items written            ${seeded.itemsWritten} (raw loop: ${items.length})`)
console.log(`raw BatchWriteItem loop  ${Math.round(rawRate)} items/s`)
console.log(`cruddur ddb seed         ${seeded.itemsPerSecond} items/s`)
console.log(`ratio                    ${((seeded.itemsPerSecond / rawRate) * 100).toFixed(0)}% of raw (goal ≥ 80%)`)

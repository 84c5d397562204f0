// Scan: 100,000 items through `cruddur ddb scan --output ndjson`, items/s and peak memory (max RSS of the
// command), against a raw paginated Scan loop in the same run. Goal: peak memory under 150 MB at any size.
import {spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'

import {BIN, withStack} from './support.js'

const ITEMS = Number(process.env.BENCH_SCAN_ITEMS ?? 100_000)

await withStack(async ({state, stateDir}) => {
  const {DynamoDBClient, BatchWriteItemCommand, paginateScan} = await import('@aws-sdk/client-dynamodb')
  const client = new DynamoDBClient({
    credentials: {accessKeyId: 'x', secretAccessKey: 'x'},
    endpoint: state.dynamodb.endpoint,
    region: 'us-east-1',
  })
  const {spawnSync} = await import('node:child_process')
  spawnSync(process.execPath, [BIN, 'ddb', 'schema-load', '--table', 'bench-scan'], {
    env: {...process.env, CRUDDUR_STATE_DIR: stateDir},
  })
  const text = 'lorem ipsum '.repeat(10)
  let next = 0
  await Promise.all(
    Array.from({length: 8}, async () => {
      while (next < ITEMS) {
        const batch = []
        for (let i = 0; i < 25 && next < ITEMS; i++, next++) {
          batch.push({
            PutRequest: {
              Item: {
                message: {S: text},
                pk: {S: `MSG#${next % 1000}`},
                sk: {S: `2026-01-01T00:00:00.000Z#${randomUUID()}`},
              },
            },
          })
        }

        await client.send(new BatchWriteItemCommand({RequestItems: {'bench-scan': batch}}))
      }
    }),
  )

  let started = Date.now()
  let raw = 0
  for await (const page of paginateScan({client, pageSize: 1000}, {TableName: 'bench-scan'})) raw += page.Items.length
  const rawRate = raw / ((Date.now() - started) / 1000)
  client.destroy()

  started = Date.now()
  const {count, maxRssKb} = await new Promise((resolve, reject) => {
    // GNU time reports the command's peak resident memory.
    const child = spawn(
      '/usr/bin/time',
      ['-f', '%M', process.execPath, BIN, 'ddb', 'scan', '--table', 'bench-scan', '--output', 'ndjson'],
      {env: {...process.env, CRUDDUR_STATE_DIR: stateDir}},
    )
    let lines = 0
    let stderr = ''
    child.stdout.on('data', (chunk) => (lines += chunk.toString().split('\n').length - 1))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', () => resolve({count: lines, maxRssKb: Number(stderr.trim().split('\n').at(-1))}))
  })
  const rate = count / ((Date.now() - started) / 1000)
  console.log(`items                    ${count} (raw loop read ${raw})`)
  console.log(`raw paginated Scan       ${Math.round(rawRate)} items/s`)
  console.log(`cruddur ddb scan ndjson  ${Math.round(rate)} items/s (${((rate / rawRate) * 100).toFixed(0)}% of raw)`)
  console.log(`peak memory (max RSS)    ${(maxRssKb / 1024).toFixed(0)} MB (goal < 150 MB)`)
})

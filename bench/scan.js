// Scan: 100,000 items through `cruddur ddb scan --output ndjson`, items/s and peak memory (max RSS of the
// command), against a raw paginated Scan loop in the same run. Goal: peak memory under 150 MB at any size.
import {randomUUID} from 'node:crypto'

import {fillTable, LOCAL_CREDENTIALS, runMeasured, schemaLoad, withStack} from './support.js'

const ITEMS = Number(process.env.BENCH_SCAN_ITEMS ?? 100_000)

await withStack(async ({state, stateDir}) => {
  const {DynamoDBClient, paginateScan} = await import('@aws-sdk/client-dynamodb')
  const client = new DynamoDBClient({
    credentials: LOCAL_CREDENTIALS,
    endpoint: state.dynamodb.endpoint,
    region: 'us-east-1',
  })
  schemaLoad(stateDir, 'bench-scan')
  const text = 'lorem ipsum '.repeat(10)
  function* items() {
    for (let index = 0; index < ITEMS; index++)
      yield {message: {S: text}, pk: {S: `MSG#${index % 1000}`}, sk: {S: `2026-01-01T00:00:00.000Z#${randomUUID()}`}}
  }

  await fillTable(client, 'bench-scan', items())

  const started = Date.now()
  let raw = 0
  for await (const page of paginateScan({client, pageSize: 1000}, {TableName: 'bench-scan'})) raw += page.Items.length
  const rawRate = raw / ((Date.now() - started) / 1000)
  client.destroy()

  const {
    lines: count,
    mb,
    ms,
  } = await runMeasured(['ddb', 'scan', '--table', 'bench-scan', '--output', 'ndjson'], {
    ...process.env,
    CRUDDUR_STATE_DIR: stateDir,
  })
  const rate = count / (ms / 1000)
  console.log(`items                    ${count} (raw loop read ${raw})`)
  console.log(`raw paginated Scan       ${Math.round(rawRate)} items/s`)
  console.log(`cruddur ddb scan ndjson  ${Math.round(rate)} items/s (${((rate / rawRate) * 100).toFixed(0)}% of raw)`)
  console.log(`peak memory (max RSS)    ${mb.toFixed(0)} MB (goal < 150 MB)`)
})

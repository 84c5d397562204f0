// Startup: `cruddur --version` and `cruddur ddb list-tables` (against DynamoDB Local) against bare
// `node -e ''` and against a bare SDK script doing the same ListTables call, all measured in this run.
// Goals: --version within 2x of bare node, list-tables within 2.5x.
import {DynamoDBClient, ListTablesCommand} from '@aws-sdk/client-dynamodb'

import {BIN, timeCommands, withStack} from './support.js'

await withStack(async ({state, stateDir}) => {
  const endpoint = state.dynamodb.endpoint
  const credentials = {accessKeyId: 'local', secretAccessKey: 'local'}
  // A fresh JVM answers its first requests slowly; warm it so the engine is not what gets measured.
  const warm = new DynamoDBClient({credentials, endpoint, region: 'us-east-1'})
  for (let i = 0; i < 300; i++) await warm.send(new ListTablesCommand({}))
  warm.destroy()

  const rawSdk = `import {DynamoDBClient, ListTablesCommand} from '@aws-sdk/client-dynamodb'
const client = new DynamoDBClient({credentials: ${JSON.stringify(credentials)}, endpoint: '${endpoint}', region: 'us-east-1'})
console.log((await client.send(new ListTablesCommand({}))).TableNames)`
  const {listTables, node, raw, version} = timeCommands(
    {
      listTables: [process.execPath, [BIN, 'ddb', 'list-tables']],
      node: [process.execPath, ['-e', '']],
      raw: [process.execPath, ['--input-type=module', '-e', rawSdk]],
      version: [process.execPath, [BIN, '--version']],
    },
    {env: {CRUDDUR_STATE_DIR: stateDir}, runs: 31},
  )
  const row = (name, ms, goal) => console.log(`${name.padEnd(32)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / node).toFixed(2)}x node${goal ? `  (goal ≤ ${goal}x)` : ''}`)
  row("node -e ''", node)
  row('bare SDK ListTables script', raw)
  row('cruddur --version', version, 2)
  row('cruddur ddb list-tables', listTables, 2.5)
  console.log(`cruddur ddb list-tables is ${(listTables / raw).toFixed(2)}x the bare SDK script`)
})

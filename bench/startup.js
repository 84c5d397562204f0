// Startup: `cruddur --version` and `cruddur ddb list-tables` (against DynamoDB Local) against bare
// `node -e ''`, all measured in this run. Goals: --version within 2x of bare node, list-tables within 2.5x.
import {BIN, timeCommand, withStack} from './support.js'

await withStack(({stateDir}) => {
  const env = {CRUDDUR_STATE_DIR: stateDir}
  const node = timeCommand(process.execPath, ['-e', ''])
  const version = timeCommand(process.execPath, [BIN, '--version'], {env})
  const listTables = timeCommand(process.execPath, [BIN, 'ddb', 'list-tables'], {env})
  const row = (name, ms, goal) => console.log(`${name.padEnd(28)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / node).toFixed(2)}x node${goal ? `  (goal ≤ ${goal}x)` : ''}`)
  row("node -e ''", node)
  row('cruddur --version', version, 2)
  row('cruddur ddb list-tables', listTables, 2.5)
})

/**
 * Runs the Momento stand-in as its own process, for `cruddur local start`:
 * `node dist/lib/momento/standin-main.js --port 9230 [--host 127.0.0.1] [--create-cache cruddur]…`
 */
import {parseArgs} from 'node:util'

import {startStandin} from './standin-server.js'

const {values} = parseArgs({
  options: {
    'create-cache': {multiple: true, type: 'string'},
    host: {type: 'string'},
    port: {type: 'string'},
  },
})

const standin = await startStandin({caches: values['create-cache'], host: values.host, port: Number(values.port ?? 0)})
console.log(
  `momento stand-in listening on ${values.host ?? '127.0.0.1'}:${standin.port} (development ` +
    `only: in memory, no authentication)`,
)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void standin.close().then(() => process.exit(0))
    // A client holding a connection open must not keep the stand-in alive.
    setTimeout(() => process.exit(0), 2000).unref()
  })
}

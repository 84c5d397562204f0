import {existsSync} from 'node:fs'

import {CruddurError} from '../errors.js'
import {LOCAL_PASSWORD} from './postgres.js'
import {type LocalStackState, readState, recordedProcess, SERVICE_LABELS, type ServiceName, SERVICES, stateFile} from './state.js'

/** The flag that targets each service without the local stack, for the error messages. */
const TARGET_FLAG: Record<ServiceName, string> = {cognito: '--cognito-endpoint', dynamodb: '--endpoint', momento: '--momento-endpoint', postgres: '--database-url'}

/**
 * The local stack as target resolution sees it. Each service is read only when a command asks for it (so
 * `--endpoint` works whatever the state file holds), and is there only when its recorded process still runs
 * as recorded. A state file that cannot be read, or a recorded service that is gone, is an error: falling
 * back to the default ports would silently target whatever else listens there. `undefined` (the defaults)
 * only when the default state directory has no record of the service; a directory given with --state-dir or
 * CRUDDUR_STATE_DIR must hold it.
 */
export function localStackView(stateDir: string, options: {explicit: boolean}): LocalStackState {
  let state: LocalStackState | undefined
  const view: LocalStackState = {}
  for (const service of SERVICES) {
    Object.defineProperty(view, service, {enumerable: true, get: () => recordedService(service, (state ??= readState(stateDir)))})
  }

  function recordedService(service: ServiceName, state: LocalStackState) {
    const fix = `run \`cruddur local start${options.explicit ? ` --state-dir ${stateDir}` : ''}\`, or pass ${TARGET_FLAG[service]}`
    const record = state[service]
    if (!record) {
      if (!options.explicit) return undefined
      const where = existsSync(stateFile(stateDir)) ? `is not recorded in ${stateFile(stateDir)}` : `has no local stack in ${stateDir} (no state.json)`
      throw new CruddurError('UNREACHABLE', `${SERVICE_LABELS[service]} ${where}: ${fix}.`)
    }

    const verdict = recordedProcess(record)
    if (verdict !== 'ours') {
      const why = {gone: 'is not running', other: 'is not running (its pid now belongs to another program)', unverified: 'cannot be verified (recorded by an older cruddur)'}[verdict]
      throw new CruddurError('UNREACHABLE', `${SERVICE_LABELS[service]} recorded in ${stateFile(stateDir)} (pid ${record.pid}) ${why}: ${fix}.`)
    }

    return service === 'postgres' && state.postgres ? {...state.postgres, url: withLocalPassword(state.postgres.url)} : record
  }

  return view
}

/** The state file keeps the PostgreSQL URL without its password; the local server's is the fixed local one. */
function withLocalPassword(url: string): string {
  const parsed = new URL(url)
  if (!parsed.password) parsed.password = LOCAL_PASSWORD
  return parsed.toString()
}

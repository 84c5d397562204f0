import {chmodSync, existsSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import {CruddurError} from '../errors.js'
import {makePrivateDirectories} from '../private-files.js'
import {identityOf, isAlive} from '../process-identity.js'
import {LOCAL_REGION} from '../targets/shared.js'
import {SEED_USERS} from '../seed-users.js'
import type {CognitoRecord} from '../stack-state.js'
import {logTail, spawnDetached, stopProcess} from './process.js'
import {waitForPort} from './ports.js'

/** The path of cognito-local's start script, from its package's `bin`. */
function cognitoLocalBin(): string {
  const require = createRequire(import.meta.url)
  let manifest: string
  try {
    manifest = require.resolve('cognito-local/package.json')
  } catch {
    throw new CruddurError(
      'MISSING_TOOL',
      'cognito-local is not installed: run `npm install` in the cruddur directory.',
    )
  }

  const {bin} = require(manifest) as {bin: string | Record<string, string>}
  return join(dirname(manifest), typeof bin === 'string' ? bin : bin['cognito-local'])
}

export interface StartCognitoLocalOptions {
  /** The state directory: cognito-local keeps its data in `cognito/.cognito/` under it. */
  dir: string
  port: number
}

/**
 * Starts cognito-local in the background, then makes sure the local user pool, its app client and the
 * seed users exist.
 */
export async function startCognitoLocal(options: StartCognitoLocalOptions): Promise<CognitoRecord> {
  const home = join(options.dir, 'cognito')
  const configDir = join(home, '.cognito')
  makePrivateDirectories(configDir)
  // Its users and their temporary passwords live here: private to the owner, also when made by an older cruddur.
  chmodSync(home, 0o700)
  const config = join(configDir, 'config.json')
  // No username attributes: usernames are plain handles, as Cruddur signs people in by handle.
  if (!existsSync(config))
    writeFileSync(config, JSON.stringify({UserPoolDefaults: {UsernameAttributes: []}}, null, 2) + '\n', {mode: 0o600})

  const log = join(options.dir, 'cognito.log')
  const endpoint = `http://127.0.0.1:${options.port}`
  const pid = spawnDetached(process.execPath, [cognitoLocalBin()], {
    cwd: home,
    env: {
      ...process.env,
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      DEBUG: '',
      HOST: '127.0.0.1',
      PORT: String(options.port),
    },
    log,
  })
  const started = identityOf(pid)
  try {
    await waitForPort(options.port, {protocol: 'http', stillRunning: () => isAlive(pid), timeoutMs: 30_000})
  } catch (error) {
    await stopProcess(pid, started)
    throw new CruddurError(
      'FAILED',
      `cognito-local did not start on port ${options.port} (${(error as Error).message}): see ` +
        `${log}. ${logTail(log, 3)}`,
    )
  }

  const record: CognitoRecord = {...identityOf(pid), endpoint, log, pid, port: options.port}
  const {createCognitoClient} = await import('../cognito/client.js')
  const {ensureLocalUserPool} = await import('../cognito/local-pool.js')
  const client = createCognitoClient({endpoint, kind: 'local', region: LOCAL_REGION, source: 'local-stack'})
  try {
    const pool = await ensureLocalUserPool(client, SEED_USERS)
    return {...record, clientId: pool.clientId, userPoolId: pool.userPoolId}
  } catch (error) {
    // Unrecorded, it could not be stopped later: stop it now.
    await stopProcess(pid, started)
    throw new CruddurError(
      'FAILED',
      `cognito-local started but the local user pool could not be created (${(error as Error).message}): see ${log}.`,
      {cause: error},
    )
  } finally {
    client.destroy()
  }
}

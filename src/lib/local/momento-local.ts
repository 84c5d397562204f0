import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {CruddurError} from '../errors.js'
import {identityOf, isAlive} from '../process-identity.js'
import type {MomentoRecord} from '../stack-state.js'
import {DEFAULT_CACHE_NAME} from '../targets/momento.js'
import {waitForPort} from './ports.js'
import {logTail, spawnDetached, stopProcess} from './process.js'

/**
 * The compiled stand-in entry point, dist/lib/momento/standin-main.js in the cruddur package. Found by
 * walking up to the package root, since this code runs from src/ (tests), dist/lib or a dist/cli bundle.
 */
function standinMain(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'dist', 'lib', 'momento'))) {
    const parent = dirname(dir)
    if (parent === dir)
      throw new CruddurError(
        'FAILED',
        'The Momento stand-in is not built: run `npm run build` in the cruddur directory.',
      )
    dir = parent
  }

  return join(dir, 'dist', 'lib', 'momento', 'standin-main.js')
}

export interface StartMomentoLocalOptions {
  /** Where the log goes. */
  dir: string
  port: number
  /** Caches that exist from the start (default: cruddur), so the quick start needs no create-cache. */
  caches?: string[]
}

/** Starts the development Momento stand-in (see src/lib/momento/standin-server.ts) in the background. */
export async function startMomentoLocal(options: StartMomentoLocalOptions): Promise<MomentoRecord> {
  const log = join(options.dir, 'momento.log')
  const caches = options.caches ?? [DEFAULT_CACHE_NAME]
  const args = [
    standinMain(),
    '--host',
    '127.0.0.1',
    '--port',
    String(options.port),
    ...caches.flatMap((name) => ['--create-cache', name]),
  ]
  const pid = spawnDetached(process.execPath, args, {cwd: options.dir, log})
  const started = identityOf(pid)
  try {
    await waitForPort(options.port, {protocol: 'grpc', stillRunning: () => isAlive(pid), timeoutMs: 20_000})
  } catch (error) {
    await stopProcess(pid, started)
    throw new CruddurError(
      'FAILED',
      `The Momento stand-in did not start on port ${options.port} (${(error as Error).message}): ` +
        `see ${log}. ${logTail(log, 3)}`,
    )
  }

  return {...identityOf(pid), endpoint: `127.0.0.1:${options.port}`, log, pid, port: options.port}
}

import {join} from 'node:path'

import {CruddurError} from '../errors.js'
import {PidLock} from '../pid-lock.js'
import {sleep} from '../sleep.js'
import {ensureStateDir} from '../stack-state.js'

/** An unreadable lock this old is no writer's between create and write (older versions wrote in two steps). */
const CORRUPT_IS_STALE_AFTER_MS = 5000

/**
 * Runs `work` holding the state directory's lock (the holder's pid and start time), so concurrent `local start`/`stop`
 * never record over each other. A lock whose holder is gone is stale and is taken over. Waiting is asynchronous, so
 * Ctrl-C still ends a waiting command.
 */
export async function withStateLock<T>(
  stateDir: string,
  work: () => Promise<T>,
  options: {timeoutMs?: number; onWait?: (message: string) => void} = {},
): Promise<T> {
  ensureStateDir(stateDir)
  const lock = new PidLock(join(stateDir, 'state.lock'))
  const deadline = Date.now() + (options.timeoutMs ?? 300_000)
  let told = false
  for (;;) {
    const attempt = lock.attempt({corruptIsStaleAfterMs: CORRUPT_IS_STALE_AFTER_MS})
    if (attempt.outcome === 'taken') break
    if (attempt.outcome === 'retry') continue
    const holder = attempt.outcome === 'corrupt' ? 'unknown' : attempt.pid
    if (Date.now() > deadline) {
      throw new CruddurError(
        'CONFLICT',
        `Another cruddur (pid ${holder}) holds the local stack's lock ${lock.file}: wait for it to finish, or stop it.`,
      )
    }

    if (!told && holder !== 'unknown')
      options.onWait?.(`waiting for another cruddur (pid ${holder}) working on ${stateDir}`)
    told = true
    await sleep(100)
  }

  try {
    return await work()
  } finally {
    lock.release()
  }
}

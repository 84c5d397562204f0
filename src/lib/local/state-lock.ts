import {closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync} from 'node:fs'
import {join} from 'node:path'

import {CruddurError} from '../errors.js'
import {isPositiveInteger, processIdentity} from '../process-identity.js'
import {sleep} from '../sleep.js'
import {ensureStateDir} from '../stack-state.js'

/**
 * Runs `work` holding the state directory's lock (an O_EXCL file with the holder's pid and start time), so
 * concurrent `local start`/`stop` never record over each other. A lock whose holder is gone is stale and is
 * taken over. Waiting is asynchronous, so Ctrl-C still ends a waiting command.
 */
export async function withStateLock<T>(
  stateDir: string,
  work: () => Promise<T>,
  options: {timeoutMs?: number; onWait?: (message: string) => void} = {},
): Promise<T> {
  ensureStateDir(stateDir)
  const lock = join(stateDir, 'state.lock')
  const me = JSON.stringify({pid: process.pid, startTime: processIdentity(process.pid)?.startTime})
  const deadline = Date.now() + (options.timeoutMs ?? 300_000)
  let told = false
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600)
      try {
        writeSync(fd, me)
      } finally {
        closeSync(fd)
      }

      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }

    const holder = lockHolder(lock)
    if (holder === 'stale') {
      takeOverStaleLock(lock)
      continue
    }

    if (Date.now() > deadline) {
      throw new CruddurError(
        'CONFLICT',
        `Another cruddur (pid ${holder}) holds the local stack's lock ${lock}: wait for it to finish, or stop it.`,
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
    try {
      if (readFileSync(lock, 'utf8') === me) unlinkSync(lock)
    } catch {}
  }
}

/**
 * The pid holding the lock, 'stale' when that process is gone (or is another program), 'unknown' while it is being
 * written.
 */
function lockHolder(lock: string): number | 'stale' | 'unknown' {
  let text: string
  try {
    text = readFileSync(lock, 'utf8')
  } catch {
    return 'unknown' // removed meanwhile: try again
  }

  try {
    const {pid, startTime} = JSON.parse(text) as {pid: unknown; startTime: unknown}
    if (!isPositiveInteger(pid)) return 'stale'
    const now = processIdentity(pid)
    return now && (startTime === undefined || now.startTime === startTime) ? pid : 'stale'
  } catch {
    // Empty or garbage: its writer may be between create and write, so only an old one is stale.
    try {
      return Date.now() - statSync(lock).mtimeMs > 5000 ? 'stale' : 'unknown'
    } catch {
      return 'unknown'
    }
  }
}

/** Moves the stale lock aside; if another process replaced it meanwhile with a live one, puts that back. */
function takeOverStaleLock(lock: string): void {
  const aside = `${lock}.stale.${process.pid}`
  try {
    renameSync(lock, aside)
  } catch {
    return
  }

  if (lockHolder(aside) === 'stale') {
    unlinkSync(aside)
    return
  }

  try {
    linkSync(aside, lock)
  } catch {}

  unlinkSync(aside)
}

import {linkSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'

import {isPositiveInteger, processIdentity} from './process-identity.js'

/** Lock files this process holds: a lock with our own pid that is not among them was left by an earlier process. */
const heldLocks = new Set<string>()

/** Who a lock file names: a pid, and its start time (locks written by older versions hold the pid alone). */
export interface LockHolder {
  pid: number
  startTime?: string
}

/** What one attempt at a lock found. */
export type LockAttempt =
  | {outcome: 'taken'}
  /** A live process holds it. */
  | {outcome: 'held'; pid: number}
  /** A live process is taking the stale lock over now. */
  | {outcome: 'taking-over'; pid: number}
  /** It holds no pid (written by hand, a broken disk, or an older version between create and write). */
  | {outcome: 'corrupt'; ageMs: number}
  /** It changed meanwhile (released, or a stale holder removed): try again at once. */
  | {outcome: 'retry'}

let ownStartTime: string | undefined

/** What this process writes in a lock: its pid and start time. */
const ownRecord = () =>
  JSON.stringify({pid: process.pid, startTime: (ownStartTime ??= processIdentity(process.pid)?.startTime)})

/**
 * A lock file naming its holder's pid and start time, so a pid reused by another program after the holder died is
 * recognised as stale. A stale lock is taken over one process at a time (through a second lock file, `.takeover`):
 * two processes finding the same stale lock would otherwise let the slower one delete the lock the faster one had just
 * taken.
 */
export class PidLock {
  private written: string | undefined

  constructor(readonly file: string) {}

  /**
   * One attempt: takes the lock when it is free or stale. A corrupt lock older than `corruptIsStaleAfterMs` counts as
   * stale; without it, a corrupt lock is reported and left alone.
   */
  attempt(options: {corruptIsStaleAfterMs?: number} = {}): LockAttempt {
    const me = ownRecord()
    if (createWhole(this.file, me)) {
      this.written = me
      heldLocks.add(this.file)
      return {outcome: 'taken'}
    }

    const text = readText(this.file)
    if (text === undefined) return {outcome: 'retry'}
    const holder = parseHolder(text)
    if (holder === undefined) {
      const ageMs = ageOf(this.file)
      if (ageMs === undefined) return {outcome: 'retry'}
      const {corruptIsStaleAfterMs} = options
      if (corruptIsStaleAfterMs === undefined || ageMs <= corruptIsStaleAfterMs) return {outcome: 'corrupt', ageMs}
    } else if (isLive(this.file, holder)) return {outcome: 'held', pid: holder.pid}

    return this.takeOver(text)
  }

  /** The lock's holder, and whether it still runs; undefined when there is no lock or it names no pid. */
  holder(): (LockHolder & {live: boolean}) | undefined {
    let text: string | undefined
    try {
      text = readText(this.file)
    } catch {
      return undefined // unreadable: named when its stream is processed
    }

    const holder = text === undefined ? undefined : parseHolder(text)
    return holder && {...holder, live: isLive(this.file, holder)}
  }

  /** Removes the lock if this object took it and it is still the one written. */
  release(): void {
    if (this.written === undefined) return
    const written = this.written
    this.written = undefined
    heldLocks.delete(this.file)
    try {
      if (readText(this.file) === written) rmSync(this.file, {force: true})
    } catch {}
  }

  /** Removes the stale lock holding `staleText`, unless another process is taking it over now. */
  private takeOver(staleText: string): LockAttempt {
    const takeover = `${this.file}.takeover`
    if (!createWhole(takeover, ownRecord())) {
      const text = readText(takeover)
      const other = text === undefined ? undefined : parseHolder(text)
      if (other && isLive(takeover, other)) return {outcome: 'taking-over', pid: other.pid}
      if (text !== undefined) rmSync(takeover, {force: true}) // its taker died (it is created whole, never half)
      return {outcome: 'retry'}
    }

    try {
      if (readText(this.file) === staleText) rmSync(this.file, {force: true})
      return {outcome: 'retry'}
    } finally {
      rmSync(takeover, {force: true})
    }
  }
}

/**
 * Creates `file` holding `text`, only if it does not exist: written to a file of our own, then hard-linked into place,
 * so the lock never exists empty and two creators cannot both succeed.
 */
function createWhole(file: string, text: string): boolean {
  const own = `${file}.${process.pid}`
  writeFileSync(own, text, {mode: 0o600})
  try {
    linkSync(own, file)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    rmSync(own, {force: true})
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function ageOf(file: string): number | undefined {
  try {
    return Date.now() - statSync(file).mtimeMs
  } catch {
    return undefined
  }
}

/** `{"pid":…,"startTime":…}`, or a bare pid as older stream locks hold; undefined for anything else. */
function parseHolder(text: string): LockHolder | undefined {
  if (/^\s*\d{1,10}\s*$/.test(text)) return Number(text) > 0 ? {pid: Number(text)} : undefined
  try {
    const {pid, startTime} = JSON.parse(text) as {pid?: unknown; startTime?: unknown}
    if (!isPositiveInteger(pid) || (startTime !== undefined && typeof startTime !== 'string')) return undefined
    return {pid, startTime}
  } catch {
    return undefined
  }
}

/**
 * Whether the holder still runs: our own pid only while this process holds the lock; another pid while a process
 * with that pid runs, and started when the lock says (when it says).
 */
function isLive(file: string, holder: LockHolder): boolean {
  if (holder.pid === process.pid) return heldLocks.has(file)
  const now = processIdentity(holder.pid)
  return now !== undefined && (holder.startTime === undefined || now.startTime === holder.startTime)
}

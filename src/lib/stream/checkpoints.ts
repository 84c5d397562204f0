import {createHash} from 'node:crypto'
import {existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {CruddurError} from '../errors.js'
import {isAlive} from '../local/state.js'
import type {ShardPosition} from './shards.js'

/** What identifies one stream being processed: a new table (or a re-created one) has a new stream ARN. */
export interface StreamIdentity {
  /** The endpoint URL, or `aws:<region>` for AWS. */
  endpoint: string
  table: string
  streamArn: string
}

/** Lock files this process holds: a lock with our own pid that is not among them was left by an earlier process. */
const heldLocks = new Set<string>()

/** How long a lock file may stay empty (its creator is about to write its pid) before it counts as stale. */
const UNWRITTEN_LOCK_GRACE_MS = 10_000

interface CheckpointFile extends StreamIdentity {
  updatedAt: string
  shards: Record<string, ShardPosition>
}

/**
 * Per-shard checkpoints of `cruddur ddb stream process`, one file per stream in the state directory, so a
 * restart continues after the last record the handler finished with. A lock file (the owner's pid) keeps
 * two processors off one stream: they would both apply every record.
 */
export class CheckpointStore {
  readonly file: string
  private readonly lockFile: string
  private data: CheckpointFile
  private locked = false

  constructor(stateDir: string, readonly identity: StreamIdentity) {
    const key = createHash('sha256').update(`${identity.endpoint}\n${identity.table}\n${identity.streamArn}`).digest('hex').slice(0, 16)
    const directory = join(stateDir, 'stream-checkpoints')
    this.file = join(directory, `${key}.json`)
    this.lockFile = join(directory, `${key}.lock`)
    this.data = {...identity, shards: {}, updatedAt: new Date().toISOString()}
    if (existsSync(this.file)) {
      try {
        this.data = {...this.data, shards: (JSON.parse(readFileSync(this.file, 'utf8')) as CheckpointFile).shards ?? {}}
      } catch {
        // An unreadable checkpoint only means starting over: Pattern D is idempotent.
      }
    }
  }

  get shards(): Record<string, ShardPosition> {
    return structuredClone(this.data.shards)
  }

  /** Takes the stream's lock, or throws CONFLICT while another processor holds it. A stale lock is taken over. */
  lock(): void {
    mkdirSync(dirname(this.lockFile), {recursive: true})
    for (;;) {
      try {
        // Created only if absent ('wx'): checking first would let two processors starting together both take it.
        writeFileSync(this.lockFile, String(process.pid), {flag: 'wx'})
        heldLocks.add(this.lockFile)
        this.locked = true
        return
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }

      const owner = this.readLock()
      if (owner === undefined) continue // released meanwhile
      if (this.isHeld(owner)) {
        const who = Number.isNaN(owner.pid) ? 'starting' : `pid ${owner.pid}`
        throw new CruddurError('CONFLICT', `Another \`cruddur ddb stream process\` (${who}) is processing the stream of table ${this.identity.table}: stop it first, or let it do the work.`)
      }

      this.removeStaleLock(owner.text)
    }
  }

  unlock(): void {
    if (!this.locked) return
    this.locked = false
    heldLocks.delete(this.lockFile)
    try {
      if (Number.parseInt(readFileSync(this.lockFile, 'utf8'), 10) === process.pid) rmSync(this.lockFile, {force: true})
    } catch {}
  }

  /** Records up to and including `sequenceNumber` on the shard are done. */
  advance(shardId: string, sequenceNumber: string): void {
    this.data.shards[shardId] = {...this.data.shards[shardId], after: sequenceNumber}
    this.save()
  }

  finish(shardId: string): void {
    this.data.shards[shardId] = {...this.data.shards[shardId], finished: true}
    this.save()
  }

  /** Forgets shards the stream no longer lists (trimmed after 24 hours). */
  prune(liveShardIds: string[]): void {
    const live = new Set(liveShardIds)
    const stale = Object.keys(this.data.shards).filter((shardId) => !live.has(shardId))
    if (stale.length === 0) return
    for (const shardId of stale) delete this.data.shards[shardId]
    this.save()
  }

  /** The lock file's content and pid (NaN until its creator has written it); undefined if there is none. */
  private readLock(): {text: string; pid: number; ageMs: number} | undefined {
    try {
      const text = readFileSync(this.lockFile, 'utf8')
      return {ageMs: Date.now() - statSync(this.lockFile).mtimeMs, pid: Number.parseInt(text, 10), text}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  private isHeld(owner: {pid: number; ageMs: number}): boolean {
    if (Number.isNaN(owner.pid)) return owner.ageMs < UNWRITTEN_LOCK_GRACE_MS
    if (owner.pid === process.pid) return heldLocks.has(this.lockFile)
    return isAlive(owner.pid)
  }

  /**
   * Moved aside rather than deleted: of two processors clearing the same stale lock, the slower one would
   * otherwise delete the lock the faster one has just taken. If what was moved is not the stale lock, it is
   * put back.
   */
  private removeStaleLock(staleText: string): void {
    const aside = `${this.lockFile}.${process.pid}.stale`
    try {
      renameSync(this.lockFile, aside)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }

    try {
      if (readFileSync(aside, 'utf8') !== staleText) linkSync(aside, this.lockFile)
    } catch {
      // Someone took the lock meanwhile: the next attempt finds it.
    } finally {
      rmSync(aside, {force: true})
    }
  }

  private save(): void {
    this.data.updatedAt = new Date().toISOString()
    mkdirSync(join(this.file, '..'), {recursive: true})
    // Write then rename: a crash never leaves half a checkpoint.
    const temporary = `${this.file}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(this.data, null, 2) + '\n')
    renameSync(temporary, this.file)
  }
}

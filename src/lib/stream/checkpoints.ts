import {createHash} from 'node:crypto'
import {existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
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
      if (createWithPid(this.lockFile)) {
        heldLocks.add(this.lockFile)
        this.locked = true
        return
      }

      const owner = readPid(this.lockFile)
      if (owner === undefined) continue // released meanwhile
      if (owner === process.pid ? heldLocks.has(this.lockFile) : isAlive(owner)) {
        throw new CruddurError('CONFLICT', `Another \`cruddur ddb stream process\` (pid ${owner}) is processing the stream of table ${this.identity.table}: stop it first, or let it do the work.`)
      }

      this.removeStaleLock(owner)
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

  /**
   * Removes a lock left by a dead process. Takeovers go one at a time (through a second lock file), and the
   * lock is removed only if it is still the dead one's: two processors finding the same stale lock would
   * otherwise let the slower one delete the lock the faster one had just taken.
   */
  private removeStaleLock(stalePid: number): void {
    const takeover = `${this.lockFile}.takeover`
    if (!createWithPid(takeover)) {
      const other = readPid(takeover)
      if (other !== undefined && !isAlive(other)) rmSync(takeover, {force: true})
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5) // another takeover is under way
      return
    }

    try {
      if (readPid(this.lockFile) === stalePid) rmSync(this.lockFile, {force: true})
    } finally {
      rmSync(takeover, {force: true})
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

/**
 * Creates `file` holding this process's pid, only if it does not exist: written to a file of our own, then
 * hard-linked into place, so the lock never exists empty and two creators cannot both succeed.
 */
function createWithPid(file: string): boolean {
  const own = `${file}.${process.pid}`
  writeFileSync(own, String(process.pid))
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

/** The pid in a lock file, or undefined when there is none. */
function readPid(file: string): number | undefined {
  try {
    return Number.parseInt(readFileSync(file, 'utf8'), 10)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

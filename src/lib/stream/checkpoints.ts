import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

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

  lock(): void {
    mkdirSync(join(this.file, '..'), {recursive: true})
    if (existsSync(this.lockFile)) {
      const pid = Number.parseInt(readFileSync(this.lockFile, 'utf8'), 10)
      if (pid !== process.pid && isAlive(pid)) {
        throw new CruddurError('CONFLICT', `Another \`cruddur ddb stream process\` (pid ${pid}) is processing the stream of table ${this.identity.table}: stop it first, or let it do the work.`)
      }
    }

    writeFileSync(this.lockFile, String(process.pid))
  }

  unlock(): void {
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

  private save(): void {
    this.data.updatedAt = new Date().toISOString()
    mkdirSync(join(this.file, '..'), {recursive: true})
    // Write then rename: a crash never leaves half a checkpoint.
    const temporary = `${this.file}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(this.data, null, 2) + '\n')
    renameSync(temporary, this.file)
  }
}

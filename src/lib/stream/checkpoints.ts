import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {CruddurError} from '../errors.js'
import {PidLock} from '../pid-lock.js'
import {ensurePrivateDir, writeJsonAtomically} from '../private-files.js'
import {sleep} from '../sleep.js'
import {type ShardPosition} from './shards.js'

/** What identifies one stream being processed: a new table (or a re-created one) has a new stream ARN. */
export interface StreamIdentity {
  /** The endpoint URL, or `aws:<region>` for AWS: stored (without any password) to tell endpoints apart. */
  endpoint: string
  table: string
  streamArn: string
}

/** A stream keeps records 24 hours: a checkpoint untouched longer than that points at nothing left to read. */
const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000

/** How long a takeover of a dead processor's lock (a few file operations) may take before it is called stuck. */
const TAKEOVER_WAIT_MS = 10_000

interface CheckpointFile extends StreamIdentity {
  updatedAt: string
  shards: Record<string, ShardPosition>
}

/** Thrown when the lock wait is cut short by the signal; the caller ends quietly. */
export class LockAborted extends Error {}

export const checkpointDirectory = (stateDir: string) => join(stateDir, 'stream-checkpoints')

/**
 * The endpoint as stored and compared: no user or password, and one name for the loopback interface, so
 * `localhost` and `127.0.0.1` are one endpoint.
 */
export function endpointLabel(endpoint: string): string {
  try {
    const url = new URL(endpoint)
    url.username = ''
    url.password = ''
    if (['localhost', '[::1]', '0.0.0.0'].includes(url.hostname)) url.hostname = '127.0.0.1'
    return url.origin
  } catch {
    return endpoint.replace(/\/\/[^/@]*@/, '//') // `aws:<region>`, or something no URL parser reads
  }
}

/**
 * Per-shard checkpoints of `cruddur ddb stream process`, one file per stream in the state directory, so a
 * restart continues after the last record the handler finished with. A lock file (the owner's pid) keeps
 * two processors off one stream: they would both apply every record. Both are named after the stream ARN
 * alone, so any endpoint spelling (or a new port for the same data) finds the same checkpoint and lock.
 */
export class CheckpointStore {
  readonly file: string
  readonly lockFile: string
  private data: CheckpointFile
  private readonly pidLock: PidLock

  constructor(
    stateDir: string,
    readonly identity: StreamIdentity,
  ) {
    const key = checkpointKey(identity.streamArn)
    const directory = checkpointDirectory(stateDir)
    this.file = join(directory, `${key}.json`)
    this.lockFile = join(directory, `${key}.lock`)
    this.pidLock = new PidLock(this.lockFile)
    this.data = {
      ...identity,
      endpoint: endpointLabel(identity.endpoint),
      shards: {},
      updatedAt: new Date().toISOString(),
    }
    if (existsSync(this.file)) this.data.shards = readCheckpoint(this.file).shards
  }

  get shards(): Record<string, ShardPosition> {
    return structuredClone(this.data.shards)
  }

  /**
   * Takes the stream's lock, or throws CONFLICT while another processor holds it. A lock left by a dead
   * process is taken over. Waits only for another takeover in progress, boundedly and ending on `signal`.
   */
  async lock(signal?: AbortSignal, onWait?: (message: string) => void): Promise<void> {
    ensurePrivateDirectory(dirname(this.file))
    const deadline = Date.now() + TAKEOVER_WAIT_MS
    let told = false
    for (;;) {
      if (signal?.aborted) throw new LockAborted()
      const attempt = this.pidLock.attempt()
      if (attempt.outcome === 'taken') return
      if (attempt.outcome === 'retry') continue
      if (attempt.outcome === 'held') {
        throw new CruddurError(
          'CONFLICT',
          `Another stream processor (pid ${attempt.pid}) is processing the stream of table ${this.identity.table}`,
          {actions: ['stop it first', 'let it do the work']},
        )
      }

      if (attempt.outcome === 'corrupt') throw corruptLock(this.lockFile)
      if (!told)
        onWait?.(
          `waiting for pid ${attempt.pid}, which is taking over the stale lock ${this.lockFile} (Ctrl-C to stop)`,
        )
      told = true
      if (Date.now() > deadline) {
        throw new CruddurError(
          'CONFLICT',
          `The lock ${this.lockFile}.takeover has been held for ${TAKEOVER_WAIT_MS / 1000} s`,
          {actions: ['if no stream processor is starting, delete it']},
        )
      }

      await sleep(5, signal) // another processor is taking the stale lock over
    }
  }

  unlock(): void {
    this.pidLock.release()
  }

  /** The stream is gone (its table dropped or re-created): its checkpoints are of no further use. */
  retire(): void {
    rmSync(this.file, {force: true})
    this.unlock()
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

  /**
   * Forgets shards the stream no longer lists (trimmed after 24 hours). A stream always lists a shard: an empty
   * list is a reader that listed none yet (stopped before its first listing), and forgets nothing.
   */
  prune(liveShardIds: string[]): void {
    if (liveShardIds.length === 0) return
    const live = new Set(liveShardIds)
    const stale = Object.keys(this.data.shards).filter((shardId) => !live.has(shardId))
    if (stale.length === 0) return
    for (const shardId of stale) delete this.data.shards[shardId]
    this.save()
  }

  /**
   * A checkpoint position the stream contradicts (a live shard marked finished, a sequence number the shard
   * rejects): one line naming the file and the fix, instead of reading nothing or a DynamoDB error.
   */
  corrupt(problem: string): CruddurError {
    return corruptCheckpoint(this.file, problem)
  }

  private save(): void {
    this.data.updatedAt = new Date().toISOString()
    ensurePrivateDirectory(dirname(this.file))
    writeJsonAtomically(this.file, this.data)
  }
}

/**
 * Removes the checkpoints nothing will read again: the same table's older streams at the same endpoint (the
 * table was dropped or re-created), files untouched longer than the stream keeps records, and files of the
 * earlier naming (by endpoint string, possibly with a password in them) — whose positions the current stream
 * adopts when it has none of its own. Files another live processor holds are left alone.
 */
export function retireStaleCheckpoints(stateDir: string, current: StreamIdentity): void {
  const directory = checkpointDirectory(stateDir)
  let names: string[]
  try {
    names = readdirSync(directory).filter((name) => name.endsWith('.json'))
  } catch {
    return // no checkpoints yet
  }

  const currentFile = join(directory, `${checkpointKey(current.streamArn)}.json`)
  const endpoint = endpointLabel(current.endpoint)
  for (const name of names) {
    const file = join(directory, name)
    if (file === currentFile) continue
    let data: CheckpointFile
    try {
      data = readCheckpoint(file)
    } catch {
      continue // another stream's problem: diagnosed when that stream is processed
    }

    const legacy = name !== `${checkpointKey(data.streamArn)}.json`
    const replaced =
      data.table === current.table && data.streamArn !== current.streamArn && endpointLabel(data.endpoint) === endpoint
    const expired = Date.now() - statSync(file).mtimeMs > STREAM_RETENTION_MS
    if (!legacy && !replaced && !expired) continue
    const lockFile = file.replace(/\.json$/, '.lock')
    const owner = new PidLock(lockFile).holder()
    if (owner?.live && owner.pid !== process.pid) continue
    // Adopted under the new name, with the endpoint as now stored (the old files kept it as typed, password and all).
    if (legacy && data.streamArn === current.streamArn && !existsSync(currentFile))
      writeJsonAtomically(currentFile, {...data, endpoint: endpointLabel(data.endpoint)})
    rmSync(file, {force: true})
    rmSync(lockFile, {force: true})
  }
}

const checkpointKey = (streamArn: string) => createHash('sha256').update(streamArn).digest('hex').slice(0, 16)

const corruptCheckpoint = (file: string, problem: string) =>
  new CruddurError(
    'CONFLICT',
    `The stream checkpoint ${file} is corrupt (${problem}): delete it to process the stream ` +
      `from its start again (Pattern D is idempotent).`,
  )

/** A checkpoint file, checked: a position DynamoDB would reject, or one that reads nothing, is named here. */
function readCheckpoint(file: string): CheckpointFile {
  let data: Partial<CheckpointFile>
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as Partial<CheckpointFile>
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code) throw error
    throw corruptCheckpoint(file, 'not JSON')
  }

  if (
    typeof data !== 'object' ||
    data === null ||
    typeof data.shards !== 'object' ||
    data.shards === null ||
    typeof data.streamArn !== 'string'
  ) {
    throw corruptCheckpoint(file, 'no streamArn and shards')
  }

  for (const [shardId, position] of Object.entries(data.shards)) {
    if (typeof position !== 'object' || position === null)
      throw corruptCheckpoint(file, `shard ${shardId} has no position`)
    if (position.after !== undefined && !/^\d{1,40}$/.test(String(position.after)))
      throw corruptCheckpoint(file, `shard ${shardId}: "after" is not a sequence number`)
    if (position.finished !== undefined && typeof position.finished !== 'boolean')
      throw corruptCheckpoint(file, `shard ${shardId}: "finished" is not true or false`)
  }

  return data as CheckpointFile
}

/** A directory private to the user (it names tables and their streams), or one line saying why not. */
function ensurePrivateDirectory(directory: string): void {
  try {
    ensurePrivateDir(directory)
  } catch (error) {
    throw cannotWrite(directory, error)
  }
}

/** A file or directory of the processor's state that cannot be written: one line, and the fix. */
export const cannotWrite = (path: string, error: unknown) =>
  new CruddurError(
    'INVALID_INPUT',
    `Cannot write to ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ` +
      `pass a writable --state-dir.`,
  )

const corruptLock = (file: string) =>
  new CruddurError('CONFLICT', `The stream lock ${file} is corrupt (it holds no process id)`, {
    actions: ['if no stream processor is running, delete it'],
  })

import {chmodSync, mkdirSync, renameSync, rmSync, type WriteStream, writeFileSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {finished} from 'node:stream/promises'
import {dirname} from 'node:path'

/**
 * mkdir -p, private to the user (0700), one level at a time: Node's recursive mkdirSync never returns under /proc.
 * True when `directory` did not exist.
 */
export function makePrivateDirectories(directory: string): boolean {
  try {
    mkdirSync(directory, {mode: 0o700})
    return true
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    if (code === 'EEXIST') return false
    if (code !== 'ENOENT' || dirname(directory) === directory) throw error
    makePrivateDirectories(dirname(directory))
    try {
      mkdirSync(directory, {mode: 0o700})
      return true
    } catch (again) {
      // Another process making the same path made this level since the first try; any other error is final
      // (under /proc a missing directory stays ENOENT however often its parent exists).
      if ((again as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw again
    }
  }
}

/** A directory private to the user, made if missing and tightened if not. */
export function ensurePrivateDir(directory: string): void {
  makePrivateDirectories(directory)
  chmodSync(directory, 0o700)
}

/** Writes `value` as JSON readable by the user alone; written then renamed, so no reader ever sees half a file. */
export function writeJsonAtomically(file: string, value: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify(value, null, 2) + '\n', {mode: 0o600})
  renameSync(temporary, file)
}

/** A file being written whole or not at all (see `openFileAtomically`). */
export interface AtomicFile {
  stream: WriteStream
  /** Ends the stream and moves the file into place. */
  commit(): Promise<void>
  /** Drops what was written; the file at the path (if any) is left as it was. */
  discard(): void
}

/**
 * A file readable by the user alone that appears at `file` only once complete: written to a temporary file
 * beside it and renamed by `commit()`, so an interrupted or failed write never leaves a truncated file that
 * looks whole. Opening fails at once (a missing directory, no permission), before any work is done.
 */
export async function openFileAtomically(file: string): Promise<AtomicFile> {
  const temporary = `${file}.${process.pid}.tmp`
  const handle = await open(temporary, 'w', 0o600)
  const stream = handle.createWriteStream()
  return {
    async commit() {
      stream.end()
      await finished(stream)
      renameSync(temporary, file)
    },
    discard() {
      stream.destroy()
      rmSync(temporary, {force: true})
    },
    stream,
  }
}

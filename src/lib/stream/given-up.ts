import {closeSync, fchmodSync, fsyncSync, openSync, writeSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {makePrivateDirectories} from '../private-files.js'
import {cannotWrite} from './checkpoints.js'

/** Where `stream process` keeps the records it gave up on, as production's on-failure queue keeps them. */
export const givenUpFile = (stateDir: string) => join(stateDir, 'stream-given-up.ndjson')

/**
 * Appends `entry` to `file` as one JSON line, on disk before this returns: the caller moves the checkpoint past
 * the record only then. The file is the user's alone (0600); its directory, made private if missing, is otherwise
 * left as it is (it may be one the user gave, like a project directory or /tmp).
 */
export function appendGivenUp(file: string, entry: object): void {
  let descriptor: number | undefined
  try {
    makePrivateDirectories(dirname(file))
    descriptor = openSync(file, 'a', 0o600)
    fchmodSync(descriptor, 0o600)
    writeSync(descriptor, JSON.stringify(entry) + '\n')
    fsyncSync(descriptor)
  } catch (error) {
    throw cannotWrite(file, error)
  } finally {
    if (descriptor !== undefined) closeSync(descriptor)
  }
}

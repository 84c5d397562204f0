import {unmarshall} from '@aws-sdk/util-dynamodb'
import {accessSync, constants, createReadStream, statSync} from 'node:fs'
import {createInterface} from 'node:readline'

import {CruddurError} from '../errors.js'
import {batchWriteAll, type BatchWriteOptions} from './batch-write.js'
import {detectFormat, type ItemFormat, LineError, parseLine, type RawItem} from './typed-json.js'
import type {MessagesTable} from './messages-table.js'

/** Items handed to the writer at a time: enough to keep its requests in flight, few enough to keep memory flat. */
const CHUNK = 10_000

export interface CheckedFile {
  format: ItemFormat
  items: number
}

/** The items of a file with their line numbers (empty lines skipped). */
async function* fileItems(
  path: string,
  format: ItemFormat | undefined,
): AsyncGenerator<{item: RawItem; line: number; format: ItemFormat}> {
  const lines = createInterface({
    crlfDelay: Number.POSITIVE_INFINITY,
    input: createReadStream(path, {encoding: 'utf8'}),
  })
  let number = 0
  let detected = format
  for await (const line of lines) {
    number++
    if (line.trim() === '') continue
    detected ??= detectFormat(line)
    try {
      yield {format: detected, item: parseLine(line, detected), line: number}
    } catch (error) {
      if (error instanceof LineError)
        throw new CruddurError(
          'INVALID_INPUT',
          `Line ${number}: ${error.message}. Nothing was written: fix the line and import again.`,
        )
      throw error
    }
  }
}

/** A missing file, a directory or one without read permission: one line naming it, before anything is read. */
function requireReadableFile(path: string): void {
  let problem: string | undefined
  try {
    if (statSync(path).isDirectory()) problem = 'it is a directory'
    else accessSync(path, constants.R_OK)
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    problem =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'no permission to read it' : String(code ?? error)
  }

  if (problem)
    throw new CruddurError('INVALID_INPUT', `Cannot import ${path}: ${problem}. Give the path of a file of items.`)
}

/** Reads the whole file and checks every line: the first problem is an error naming its line. */
export async function checkFile(path: string, format?: ItemFormat): Promise<CheckedFile> {
  requireReadableFile(path)
  let items = 0
  let detected = format
  for await (const entry of fileItems(path, format)) {
    items++
    detected = entry.format
  }

  return {format: detected ?? format ?? 'ndjson', items}
}

/**
 * Writes a checked file's items with the shared batched writer, a chunk at a time. Puts replace whole items,
 * so importing a file twice leaves the same table; a key given twice keeps its last line, as Puts in order would.
 */
export async function writeFile(
  table: MessagesTable,
  path: string,
  format: ItemFormat,
  options: BatchWriteOptions = {},
): Promise<number> {
  let written = 0
  let chunk = new Map<string, Record<string, unknown>>()
  const flush = async () => {
    // wrapNumbers keeps every number's digits; the document client writes them back as they were.
    written += await batchWriteAll(table, chunk.values(), options)
    chunk = new Map()
  }

  for await (const {item} of fileItems(path, format)) {
    const key = `${item.pk.S}\u0000${item.sk.S}`
    // BatchWriteItem refuses a key twice in one request.
    if (chunk.has(key)) await flush()
    chunk.set(key, unmarshall(item, {wrapNumbers: true}))
    if (chunk.size >= CHUNK) await flush()
  }

  if (chunk.size > 0) await flush()
  return written
}

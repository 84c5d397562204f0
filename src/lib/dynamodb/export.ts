import type {Writable} from 'node:stream'

import {writeWithBackpressure} from '../backpressure.js'
import {anonymizeItem} from './anonymize.js'
import {readRawItems, type ScanOptions} from './scan.js'
import {formatItem, type ItemFormat} from './typed-json.js'
import type {MessagesTable} from './messages-table.js'

export interface ExportOptions extends Omit<ScanOptions, 'limit'> {
  format?: ItemFormat
  /** In pk, sk order, for diffs: holds the whole export in memory until the table is read. */
  sorted?: boolean
  anonymize?: boolean
  onItem?: () => void
}

export interface ExportResult {
  items: number
  seconds: number
  itemsPerSecond: number
}

/**
 * Writes the selected items to `out`, one line each, as they are read (waiting for a slow reader, so memory
 * stays flat). With `sorted`, the lines are kept until the end and written in pk, sk order.
 */
export async function exportItems(
  table: MessagesTable,
  out: Writable,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const started = Date.now()
  const format = options.format ?? 'ndjson'
  const sorted: Array<{pk: string; sk: string; line: string}> = []
  let items = 0
  for await (const raw of readRawItems(table, options)) {
    const item = options.anonymize ? anonymizeItem(raw) : raw
    const line = formatItem(item, format) + '\n'
    items++
    options.onItem?.()
    if (options.sorted) sorted.push({line, pk: item.pk?.S ?? '', sk: item.sk?.S ?? ''})
    else await writeWithBackpressure(out, line)
  }

  if (options.sorted) {
    sorted.sort((a, b) => compare(a.pk, b.pk) || compare(a.sk, b.sk))
    for (const {line} of sorted) await writeWithBackpressure(out, line)
  }

  const seconds = (Date.now() - started) / 1000
  return {items, itemsPerSecond: Math.round(items / Math.max(seconds, 0.001)), seconds}
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

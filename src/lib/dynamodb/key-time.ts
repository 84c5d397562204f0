/**
 * The times in sort keys, as the Cruddur app and this CLI write them. The app (Flask, `lib/ddb.py`) returns a
 * message's `sk` as its `created_at` and a conversation row's `sk` as its `last_message_at`, and its frontend
 * parses them with Luxon's `DateTime.fromISO`; the course's scripts with `%Y-%m-%dT%H:%M:%S.%f%z`. So a key
 * must be a time alone, in the app's own format:
 *
 *   canonical (written by the CLI)  2026-11-29T11:51:56.529847+00:00   Python `isoformat()` in UTC
 *
 * and every form found in such tables is read, by its instant:
 *
 *   the app in UTC                  2026-11-29T11:51:56.529847+00:00   (also without fraction: `…:56+00:00`)
 *   the app, naive (read as UTC)    2026-11-29T11:53:19.494173
 *   the app outside UTC             2026-11-29T06:52:35.970508-05:00   (= 11:52:35.970508 UTC)
 *   this CLI before, message/row    2026-11-24T15:49:00.123Z#<message_uuid or message_group_uuid>
 *
 * Within the canonical form string order is time order; across forms it is not, so times are compared as
 * instants (microseconds since the epoch, a bigint: a double cannot hold them exactly).
 */

import {CruddurError} from '../errors.js'

/** Microseconds since the Unix epoch. */
export type Micros = bigint

export interface KeyTime {
  /** The instant, in microseconds since the epoch (UTC). */
  micros: Micros
  /** True when the key is exactly `formatKeyTime(micros)`: nothing to rewrite. */
  canonical: boolean
  /** What followed `#` in the key (the earlier CLI format's id), if anything. */
  suffix?: string
}

const KEY_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?(?:#(.*))?$/

/** Reads the time at the front of a sort key in any of the forms above; undefined when it holds none. */
export function parseKeyTime(sk: string): KeyTime | undefined {
  const match = KEY_TIME.exec(sk)
  if (!match) return undefined
  const [, year, month, day, hour, minute, second, fraction = '', zone, suffix] = match
  const millis = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second))
  if (Number.isNaN(millis)) return undefined
  // Beyond microseconds is cut, as Python keeps no more.
  const fractionMicros = BigInt((fraction + '000000').slice(0, 6))
  let offsetMinutes = 0
  if (zone && zone !== 'Z') {
    const digits = zone.replace(':', '')
    const sign = digits.startsWith('-') ? -1 : 1
    offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)))
  }

  const micros = BigInt(millis) * 1000n + fractionMicros - BigInt(offsetMinutes) * 60_000_000n
  return {canonical: formatKeyTime(micros) === sk, micros, ...(suffix === undefined ? {} : {suffix})}
}

/** The instant of a key, or throws naming the key: for keys that must hold a time. */
export function keyMicros(sk: string): Micros {
  const time = parseKeyTime(sk)
  if (!time) throw new CruddurError('FAILED', `The sort key "${sk}" holds no time`, {hint: {step: 'check-table'}})
  return time.micros
}

/** The canonical key for an instant: `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`, always UTC, six fractional digits. */
export function formatKeyTime(micros: Micros): string {
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)
  const subMillis = micros - millis * 1000n
  const iso = new Date(Number(millis)).toISOString() // 2026-11-29T11:51:56.529Z
  return `${iso.slice(0, 23)}${subMillis.toString().padStart(3, '0')}+00:00`
}

/** The same instant in the canonical form (the one normalised form `--json` prints); unknown forms unchanged. */
export function canonicalKeyTime(sk: string): string {
  const time = parseKeyTime(sk)
  return time ? formatKeyTime(time.micros) : sk
}

export const microsOfDate = (date: Date): Micros => BigInt(date.getTime()) * 1000n

/**
 * Now, to the microsecond: the wall clock's milliseconds, with the sub-millisecond digits of the monotonic
 * clock (which alone drifts from the wall clock over a long run).
 */
export function nowMicros(): Micros {
  return BigInt(Date.now()) * 1000n + BigInt(Math.floor((performance.now() % 1) * 1000))
}

/** The next key after a taken one: one microsecond later, for writes that found their key in use. */
export const nextKeyTime = (sk: string): string => formatKeyTime(keyMicros(sk) + 1n)

/**
 * Orders two keys by instant; keys of one instant by their text, so the order is total and stable
 * (an unreadable key sorts first, by its text).
 */
export function compareKeys(a: string, b: string): number {
  const ta = parseKeyTime(a)
  const tb = parseKeyTime(b)
  if (ta && tb && ta.micros !== tb.micros) return ta.micros < tb.micros ? -1 : 1
  if (!ta !== !tb) return ta ? 1 : -1
  return a < b ? -1 : a > b ? 1 : 0
}

import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'

import {CruddurError} from './errors.js'

/** Who a recorded pid was when `local start` recorded it: a pid alone may belong to another program after a reboot. */
export interface ProcessIdentity {
  /** Clock ticks after boot when the process started (/proc/<pid>/stat field 22). */
  startTime: string
  /** Its command line, arguments joined by spaces. */
  command: string
}

export const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0

export function isAlive(pid: number | undefined): boolean {
  if (!pid || pid <= 1) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A running process's identity and process group, or undefined when no such process runs (zombies included). */
export function processIdentity(pid: number): (ProcessIdentity & {pgid: number}) | undefined {
  if (!isPositiveInteger(pid) || pid <= 1) return undefined
  if (existsSync('/proc/self/stat')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // The command name in parentheses may hold spaces and parentheses: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (fields[0] === 'Z' || fields[0] === 'X') return undefined
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
      return {command, pgid: Number(fields[2]), startTime: fields[19]}
    } catch {
      return undefined
    }
  }

  // Without /proc (macOS): ps, with an argument list.
  const ps = spawnSync('ps', ['-o', 'pgid=', '-o', 'lstart=', '-o', 'command=', '-p', String(pid)], {encoding: 'utf8'})
  const match = /^\s*(\d+)\s+(\S+\s+\S+\s+\d+\s+[\d:]+\s+\d+)\s+(.*)$/.exec(ps.stdout?.trim() ?? '')
  return match ? {command: match[3], pgid: Number(match[1]), startTime: match[2]} : undefined
}

/** A service's identity right after it started, to be recorded with it. */
export function identityOf(pid: number): ProcessIdentity {
  const identity = processIdentity(pid)
  if (!identity) throw new CruddurError('FAILED', `The process ${pid} exited right after it started.`)
  return {command: identity.command, startTime: identity.startTime}
}

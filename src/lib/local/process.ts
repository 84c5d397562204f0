import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, closeSync, existsSync, openSync, readFileSync} from 'node:fs'

import {processIdentity, type ProcessIdentity} from '../process-identity.js'
import {sleep} from '../sleep.js'

/** Starts a program in the background, detached from this process, its output appended to a private log file. */
export function spawnDetached(
  command: string,
  args: string[],
  options: {log: string; cwd?: string; env?: NodeJS.ProcessEnv},
): number {
  const out = openSync(options.log, 'a', 0o600)
  chmodSync(options.log, 0o600)
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      detached: true,
      env: options.env ?? process.env,
      stdio: ['ignore', out, out],
    })
    child.unref()
    if (!child.pid) throw new Error(`could not start ${command}`)
    return child.pid
  } finally {
    closeSync(out)
  }
}

/** True while `pid` still runs as the process described by `identity` (a reused pid is another process). */
export function stillTheSame(pid: number, identity: ProcessIdentity): boolean {
  const now = processIdentity(pid)
  return now !== undefined && now.startTime === identity.startTime && now.command === identity.command
}

/**
 * Sends SIGTERM, then SIGKILL after the grace period, and waits for the process to be gone. Acts only while
 * the pid is still the process that was recorded (checked before every signal), and never on pid 1 or less.
 */
export async function stopProcess(pid: number, identity: ProcessIdentity, graceMs = 10_000): Promise<void> {
  if (pid <= 1) throw new Error(`refusing to signal pid ${pid}`)
  if (!stillTheSame(pid, identity)) return
  signal(pid, identity, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (stillTheSame(pid, identity) && Date.now() < deadline) await sleep(50)
  if (stillTheSame(pid, identity)) signal(pid, identity, 'SIGKILL')
  while (stillTheSame(pid, identity)) await sleep(50)
}

function signal(pid: number, identity: ProcessIdentity, name: NodeJS.Signals): void {
  const now = processIdentity(pid)
  if (!now || now.startTime !== identity.startTime || now.command !== identity.command) return
  try {
    // A detached child leads its own process group: signal the group so its children go too, but only
    // a group it leads (pgid = pid), never one it merely belongs to.
    if (now.pgid === pid) process.kill(-pid, name)
    else process.kill(pid, name)
  } catch {}
}

/** The last lines of a log, for an error message when a service would not start. */
export function logTail(file: string, lines = 5): string {
  if (!existsSync(file)) return ''
  return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ')
}

/** True when a program can be run (`command --version` or similar succeeds). */
export function hasProgram(command: string, args = ['-version']): boolean {
  const result = spawnSync(command, args, {stdio: 'ignore'})
  return !result.error
}

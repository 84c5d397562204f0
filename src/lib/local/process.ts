import {spawn, spawnSync} from 'node:child_process'
import {closeSync, existsSync, openSync, readFileSync} from 'node:fs'

import {isAlive} from './state.js'

/** Starts a program in the background, detached from this process, its output appended to a log file. */
export function spawnDetached(command: string, args: string[], options: {log: string; cwd?: string; env?: NodeJS.ProcessEnv}): number {
  const out = openSync(options.log, 'a')
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

/** Sends SIGTERM, then SIGKILL after the grace period, and waits for the process to be gone. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return
  signal(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  if (isAlive(pid)) signal(pid, 'SIGKILL')
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 50))
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    // A detached child leads its own process group: signal the group so its children go too.
    process.kill(-pid, name)
  } catch {
    try {
      process.kill(pid, name)
    } catch {}
  }
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

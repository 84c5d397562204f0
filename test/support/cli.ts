import {type ChildProcess, spawn} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {ConsumedCapacityTotals} from '../../src/lib/dynamodb/consumed-capacity.js'
import type {errorJson} from '../../src/lib/errors.js'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs the built `cruddur` binary as a user would, with the test stack's environment (plus `env`).
 * `onSpawn` gets the process, to interrupt it as a user would (Ctrl-C is SIGINT).
 */
export function cli(
  args: string[],
  options: {env?: NodeJS.ProcessEnv; input?: string; onSpawn?: (child: ChildProcess) => void} = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: {...process.env, ...options.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stderr, stdout}))
    child.stdin.end(options.input ?? '')
    options.onSpawn?.(child)
  })
}

/** What `--json` prints for any failure, from every command and from the CLI itself. */
export type ErrorJson = ReturnType<typeof errorJson>

/** A result with its items as the messages table holds them: every attribute a string. */
export type StringItems<Result extends {items: unknown}> = Omit<Result, 'items'> & {
  items: Array<Record<string, string>>
}

/** What a DynamoDB command prints with `--consumed-capacity`: its result plus the units it used. */
export type WithConsumedCapacity<Result> = Result & {consumedCapacity: ConsumedCapacityTotals}

/** Runs the binary with `--json` and parses stdout. */
export async function cliJson<T = Record<string, unknown>>(
  args: string[],
  options: {env?: NodeJS.ProcessEnv} = {},
): Promise<CliResult & {json: T}> {
  const result = await cli([...args, '--json'], options)
  let json: T
  try {
    json = JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`)
  }

  return {...result, json}
}

/** The one-line error contract: one line, no stack trace. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() && !line.startsWith('→') && !line.startsWith('note:'))
}

/**
 * Runs the binary in a pseudo-terminal (util-linux `script`), typing `input` at it: how a person answers
 * a confirmation prompt. stdout and stderr arrive together, as a terminal shows them.
 */
export function cliInTerminal(
  args: string[],
  input: string,
  options: {env?: NodeJS.ProcessEnv} = {},
): Promise<CliResult> {
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`
  const command = [process.execPath, BIN, ...args].map(quote).join(' ')
  return new Promise((resolve, reject) => {
    // -e: exit with the command's code; -q: no "Script started" banner; the transcript goes nowhere.
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      env: {...process.env, ...options.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      // Answer once the question is on the screen, as a person would.
      if (input && stdout.includes('Type "yes"')) {
        child.stdin.end(input)
        input = ''
      }
    })
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stderr, stdout}))
  })
}

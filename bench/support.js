// Shared pieces of the benchmarks: an ephemeral local stack and timing helpers. Benchmarks report ratios
// against a floor measured in the same run; they are not tests and assert nothing.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const BIN = join(ROOT, 'bin', 'run.js')

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

/** Starts DynamoDB Local (in memory) and PostgreSQL on free ports in a temporary directory. */
export async function withStack(work) {
  const {startLocalStack, stopLocalStack} = await import(join(ROOT, 'dist/lib/local/stack.js'))
  const {defaultCacheDir} = await import(join(ROOT, 'dist/lib/paths.js'))
  const {readState} = await import(join(ROOT, 'dist/lib/stack-state.js'))
  const stateDir = mkdtempSync(join(tmpdir(), 'cruddur-bench-'))
  const ports = Object.fromEntries(['dynamodb', 'postgres', 'cognito', 'momento'].map((name) => [name, 0]))
  const cleanUp = async () => {
    await stopLocalStack(stateDir)
    rmSync(stateDir, {force: true, recursive: true})
  }

  // An interrupted benchmark must not leave its engines running.
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => cleanUp().finally(() => process.exit(130)))
  await startLocalStack({cacheDir: defaultCacheDir(), inMemory: true, ports, stateDir})
  try {
    return await work({state: readState(stateDir), stateDir})
  } finally {
    await cleanUp()
  }
}

/** Median wall time in ms of running a command `runs` times (after one warm-up). */
export function timeCommand(command, args, {runs = 15, env = {}} = {}) {
  return timeCommands({only: [command, args]}, {env, runs}).only
}

/**
 * Median wall times of several commands, run in interleaved rounds (one of each per round, after a
 * warm-up round), so a machine that speeds up or slows down during the run affects them all alike.
 * A command is [command, args] or [command, args, its own extra environment].
 */
export function timeCommands(commands, {runs = 21, env = {}} = {}) {
  const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]))
  for (let round = -1; round < runs; round++) {
    for (const [name, [command, args, ownEnv = {}]] of Object.entries(commands)) {
      const started = process.hrtime.bigint()
      const result = spawnSync(command, args, {
        env: {...process.env, ...env, ...ownEnv},
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`)
      if (round >= 0) times[name].push(ms)
    }
  }

  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]))
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

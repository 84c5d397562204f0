// Shared pieces of the benchmarks: an ephemeral local stack and timing helpers. Benchmarks report ratios
// against a floor measured in the same run; they are not tests and assert nothing.
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const BIN = join(ROOT, 'bin', 'run.js')
/** Another checkout's built CLI, measured beside this one's in the same rounds (bench/startup.js). */
export const BASELINE_BIN = process.env.CRUDDUR_BENCH_BASELINE
  ? join(process.env.CRUDDUR_BENCH_BASELINE, 'bin', 'run.js')
  : undefined
export const LOCAL_CREDENTIALS = {accessKeyId: 'local', secretAccessKey: 'local'}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

/** Starts DynamoDB Local (in memory) and PostgreSQL on free ports in a temporary directory. */
export async function withStack(work) {
  const {removeLocalStack, startLocalStack} = await import(join(ROOT, 'dist/lib/local/stack.js'))
  const {defaultCacheDir} = await import(join(ROOT, 'dist/lib/paths.js'))
  const {LOCAL_PASSWORD, readState} = await import(join(ROOT, 'dist/lib/stack-state.js'))
  const stateDir = mkdtempSync(join(tmpdir(), 'cruddur-bench-'))
  const ports = Object.fromEntries(['dynamodb', 'postgres', 'cognito', 'momento'].map((name) => [name, 0]))
  const cleanUp = async () => {
    await removeLocalStack(stateDir)
  }

  // An interrupted benchmark must not leave its engines running.
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => cleanUp().finally(() => process.exit(130)))
  await startLocalStack({cacheDir: defaultCacheDir(), inMemory: true, ports, stateDir})
  try {
    const state = readState(stateDir)
    // The state file leaves the local server's fixed password out of the PostgreSQL URL.
    const postgresUrl = new URL(state.postgres.url)
    postgresUrl.password ||= LOCAL_PASSWORD
    state.postgres.url = postgresUrl.toString()
    return await work({state, stateDir})
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

/** `cruddur ddb schema-load` of a table on the benchmark's stack (untimed set-up). */
export function schemaLoad(stateDir, table) {
  const result = spawnSync(process.execPath, [BIN, 'ddb', 'schema-load', '--table', table], {
    encoding: 'utf8',
    env: {...process.env, CRUDDUR_STATE_DIR: stateDir},
  })
  if (result.status !== 0) throw new Error(`schema-load ${table} failed: ${result.stderr}`)
}

/**
 * The raw floor of a write: BatchWriteItem of 25 items a request, `concurrency` requests in flight, items
 * already marshalled in memory, no checks and no retries. Returns items/s.
 */
export async function rawBatchWrite(client, table, items, concurrency = 8) {
  const {BatchWriteItemCommand} = await import('@aws-sdk/client-dynamodb')
  let next = 0
  const started = Date.now()
  await Promise.all(
    Array.from({length: concurrency}, async () => {
      while (next < items.length) {
        const batch = items.slice(next, next + 25).map((Item) => ({PutRequest: {Item}}))
        next += batch.length
        await client.send(new BatchWriteItemCommand({RequestItems: {[table]: batch}}))
      }
    }),
  )
  return items.length / ((Date.now() - started) / 1000)
}

/**
 * Runs the CLI (`bin`: another build's) under GNU time: wall time (ms), peak resident memory (MB), the number of
 * stdout lines and, with `json`, stdout parsed. Lines are counted as they stream, so a large output is never held.
 */
export function runMeasured(args, env, {json = false, bin = BIN} = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, bin, ...args], {env})
    let lines = 0
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      lines += chunk.toString().split('\n').length - 1
      if (json) stdout += chunk
    })
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = Date.now() - started
      if (code !== 0) return reject(new Error(`cruddur ${args.join(' ')} failed: ${stdout}${stderr}`))
      const mb = Number(stderr.trim().split('\n').at(-1)) / 1024
      try {
        resolve({json: json ? JSON.parse(stdout) : undefined, lines, mb, ms})
      } catch {
        reject(new Error(`cruddur ${args.join(' ')}: ${stdout}${stderr}`))
      }
    })
  })
}

/**
 * Untimed set-up: writes every marshalled item `source` yields with `concurrency` BatchWriteItem loops,
 * retrying what DynamoDB leaves unprocessed. Returns how many were written.
 */
export async function fillTable(client, table, source, concurrency = 8) {
  const {BatchWriteItemCommand} = await import('@aws-sdk/client-dynamodb')
  const items = source[Symbol.iterator]()
  let written = 0
  await Promise.all(
    Array.from({length: concurrency}, async () => {
      for (;;) {
        const batch = []
        while (batch.length < 25) {
          const next = items.next()
          if (next.done) break
          batch.push({PutRequest: {Item: next.value}})
        }

        if (batch.length === 0) return
        let request = {[table]: batch}
        while (request && Object.keys(request).length > 0)
          request = (await client.send(new BatchWriteItemCommand({RequestItems: request}))).UnprocessedItems
        written += batch.length
      }
    }),
  )
  return written
}

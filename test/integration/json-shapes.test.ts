import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DdbQueryResult} from '../../src/commands/ddb/query.js'
import type {CreateMessageResult} from '../../src/commands/ddb/patterns/create-message.js'
import type {LocalStartResult} from '../../src/commands/local/start.js'
import {messagePk} from '../../src/lib/dynamodb/items.js'
import type {StreamRecord} from '../../src/lib/stream/records.js'
import {addStackUsers, testDatabaseUrl} from '../support/database.js'
import {cli, type CliResult, ROOT} from '../support/cli.js'

/** The committed `--json` success shapes; `UPDATE_SNAPSHOTS=1` rewrites it after a deliberate change. */
const SNAPSHOT = join(ROOT, 'test', 'snapshots', 'json-shapes.json')

type Shape = string | Shape[] | {[key: string]: Shape}

/** Keys and value types, not values: what a script built on `--json` depends on. */
function shapeOf(value: unknown): Shape {
  if (value === null) return 'null'
  if (Array.isArray(value)) {
    // Every element's keys together, so an optional key in one item shows.
    const shapes = value.map((item) => shapeOf(item))
    if (shapes.length === 0) return []
    if (shapes.every((shape) => typeof shape === 'object' && !Array.isArray(shape)))
      return [Object.assign({}, ...shapes) as Shape]
    return [...new Set(shapes.map((shape) => JSON.stringify(shape)))].sort().map((shape) => JSON.parse(shape) as Shape)
  }

  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as object)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, shapeOf(inner)]),
    )
  }

  return typeof value
}

/**
 * Runs a command with `--json` and reads what it printed. `--json` goes before a `--`, whose words are
 * another program's (`db connect` hands them to psql).
 */
async function runJson(args: string[]): Promise<CliResult> {
  const end = args.indexOf('--')
  return cli(end === -1 ? [...args, '--json'] : [...args.slice(0, end), '--json', ...args.slice(end)])
}

describe('--json success shapes', () => {
  const suffix = randomUUID().slice(0, 8)
  const table = `shapes-${suffix}`
  const cache = `shapes-${suffix}`
  const handles = ['ann', 'bob'].map((name) => `shape_${name}_${suffix}`)
  const flags = ['--table', table]
  const seedFlags = ['--handles', handles.join(','), '--now', '2026-01-01T00:00:00.000Z']
  // A database of its own for the `db` commands, which create, seed and drop it.
  const database = () => ['--database-url', testDatabaseUrl(`shapes_${suffix}`)]
  const files = mkdtempSync(join(tmpdir(), 'cruddur-shapes-'))
  const exported = join(files, 'export.ndjson')
  const expected = existsSync(SNAPSHOT) ? (JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, Shape>) : {}
  const actual: Record<string, Shape> = {}
  /** What each command printed, for the commands after it (the conversation it made, the keys it read). */
  const printed: Record<string, unknown> = {}
  const printedBy = <T>(name: string) => printed[name] as T
  const sent = () => printedBy<CreateMessageResult>('ddb patterns create-message')
  const group = () => sent().messageGroupUuid

  before(async () => {
    await addStackUsers(handles)
  })

  after(async () => {
    await cli(['ddb', 'drop', '--if-exists', ...flags])
    await cli(['momento', 'delete-cache', '--cache', cache, '--yes'])
    await cli(['db', 'drop', ...database(), '--yes'])
    rmSync(files, {force: true, recursive: true})
    if (process.env.UPDATE_SNAPSHOTS) writeFileSync(SNAPSHOT, JSON.stringify({...expected, ...actual}, null, 2) + '\n')
  })

  /**
   * In order: each command runs on what the ones before it made. New commands go after the ones that read what
   * they change, so the earlier shapes stay as they were. `json` picks what is pinned when stdout is not one
   * JSON document; `check` asserts what must hold for the run to be the one meant.
   *
   * The local stack is the suite's own, so `local start` and `local stop` run where they change nothing:
   * start on the running stack (it only reports it), stop on an empty state directory (nothing to stop, so
   * its services have no pid or port). Stopping the real stack would take the engines from every later test,
   * and starting a fresh one would run a second set of engines.
   */
  const commands: Array<{
    name: string
    args: () => string[]
    json?: (stdout: string) => unknown
    check?: (json: unknown) => void
  }> = [
    {name: 'ddb schema-load', args: () => ['ddb', 'schema-load', ...flags]},
    {name: 'ddb list-tables', args: () => ['ddb', 'list-tables']},
    {name: 'ddb describe-table', args: () => ['ddb', 'describe-table', table]},
    {name: 'ddb seed', args: () => ['ddb', 'seed', ...flags, ...seedFlags]},
    {name: 'ddb scan', args: () => ['ddb', 'scan', ...flags]},
    {
      name: 'ddb patterns create-message',
      args: () => ['ddb', 'patterns', 'create-message', ...flags, '--from', handles[0], '--to', handles[1], 'hello'],
    },
    {
      name: 'ddb patterns list-conversations',
      args: () => ['ddb', 'patterns', 'list-conversations', handles[0], ...flags],
    },
    {name: 'ddb doctor', args: () => ['ddb', 'doctor', ...flags]},
    {name: 'ddb query', args: () => ['ddb', 'query', '--pk', messagePk(group()), '--limit', '1', ...flags]},
    {
      name: 'ddb get',
      args: () => {
        const [item] = printedBy<DdbQueryResult>('ddb query').items
        return ['ddb', 'get', String(item.pk), String(item.sk), ...flags]
      },
    },
    {name: 'ddb patterns get-conversation', args: () => ['ddb', 'patterns', 'get-conversation', group(), ...flags]},
    {
      name: 'ddb patterns update-message-group',
      args: () => ['ddb', 'patterns', 'update-message-group', group(), ...flags],
    },
    {name: 'ddb stream process', args: () => ['ddb', 'stream', 'process', '--once', ...flags]},
    {
      name: 'ddb stream tail',
      args: () => ['ddb', 'stream', 'tail', '--once', ...flags],
      // --json prints one record a line: pinned on the INSERT of the message sent above, whatever its neighbours.
      json: (stdout) =>
        stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as StreamRecord)
          .find(
            (record) =>
              record.eventName === 'INSERT' &&
              record.dynamodb?.NewImage?.message_uuid?.S === sent().message.messageUuid,
          ),
    },
    {name: 'ddb export', args: () => ['ddb', 'export', ...flags, '--output', exported]},
    {name: 'ddb import', args: () => ['ddb', 'import', exported, ...flags]},
    {
      name: 'ddb patterns delete-message',
      args: () => ['ddb', 'patterns', 'delete-message', group(), sent().message.messageUuid, ...flags],
    },
    {name: 'ddb patterns erase-user', args: () => ['ddb', 'patterns', 'erase-user', handles[0], ...flags]},
    {
      name: 'ddb patterns delete-conversation',
      args: () => ['ddb', 'patterns', 'delete-conversation', group(), ...flags],
    },
    {name: 'ddb setup', args: () => ['ddb', 'setup', ...flags, ...seedFlags]},
    {name: 'db sessions', args: () => ['db', 'sessions']},
    {name: 'local status', args: () => ['local', 'status']},
    {
      name: 'local start',
      args: () => ['local', 'start'],
      check: (json) => {
        const states = (json as LocalStartResult).services.map((service) => service.state)
        expect(states, 'local start must find the suite stack running').to.deep.equal(states.map(() => 'running'))
      },
    },
    {name: 'local stop', args: () => ['local', 'stop', '--state-dir', join(files, 'no-stack')]},
    {name: 'db create', args: () => ['db', 'create', ...database()]},
    {name: 'db schema-load', args: () => ['db', 'schema-load', ...database()]},
    {name: 'db seed', args: () => ['db', 'seed', ...database()]},
    {name: 'db setup', args: () => ['db', 'setup', ...database(), '--users', '1']},
    // The local stack's Cognito pool holds the seed users `db seed` added.
    {name: 'db update-cognito-user-ids', args: () => ['db', 'update-cognito-user-ids', ...database()]},
    // psql runs a query whose rows go to /dev/null, so stdout holds only the result.
    {name: 'db connect', args: () => ['db', 'connect', ...database(), '--', '-c', 'SELECT 1', '-o', '/dev/null']},
    {name: 'db drop', args: () => ['db', 'drop', ...database(), '--yes']},
    {name: 'momento create-cache', args: () => ['momento', 'create-cache', '--cache', cache]},
    {name: 'momento set', args: () => ['momento', 'set', '--cache', cache, 'key', 'value']},
    {name: 'momento get', args: () => ['momento', 'get', '--cache', cache, 'key']},
    {name: 'momento list-caches', args: () => ['momento', 'list-caches']},
    {name: 'momento delete', args: () => ['momento', 'delete', '--cache', cache, 'key']},
    {name: 'momento flush', args: () => ['momento', 'flush', '--cache', cache, '--yes']},
    {name: 'momento delete-cache', args: () => ['momento', 'delete-cache', '--cache', cache, '--yes']},
    {name: 'ddb drop', args: () => ['ddb', 'drop', ...flags]},
  ]

  for (const {args, check, json, name} of commands) {
    it(`${name} --json keeps its shape`, async () => {
      const result = await runJson(args())
      expect(result.code, result.stderr).to.equal(0)
      printed[name] = (json ?? JSON.parse)(result.stdout)
      expect(printed[name], `${name} printed nothing to pin:\n${result.stdout}`).to.not.equal(undefined)
      check?.(printed[name])
      actual[name] = shapeOf(printed[name])
      if (process.env.UPDATE_SNAPSHOTS) return
      expect(expected[name], `no snapshot of ${name}: run with UPDATE_SNAPSHOTS=1`).to.not.equal(undefined)
      expect(actual[name], `the --json shape of \`cruddur ${name}\` changed`).to.deep.equal(expected[name])
    })
  }
})

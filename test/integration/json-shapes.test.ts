import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {addStackUsers} from '../support/database.js'
import {cli, cliJson, ROOT} from '../support/cli.js'

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

describe('--json success shapes', () => {
  const suffix = randomUUID().slice(0, 8)
  const table = `shapes-${suffix}`
  const cache = `shapes-${suffix}`
  const handles = ['ann', 'bob'].map((name) => `shape_${name}_${suffix}`)
  const flags = ['--table', table]
  const expected = existsSync(SNAPSHOT) ? (JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, Shape>) : {}
  const actual: Record<string, Shape> = {}

  before(async () => {
    await addStackUsers(handles)
  })

  after(async () => {
    await cli(['ddb', 'drop', '--if-exists', ...flags])
    await cli(['momento', 'delete-cache', '--cache', cache, '--yes'])
    if (process.env.UPDATE_SNAPSHOTS) writeFileSync(SNAPSHOT, JSON.stringify({...expected, ...actual}, null, 2) + '\n')
  })

  // In order: each command runs on what the ones before it made.
  const commands: Array<[string, () => string[]]> = [
    ['ddb schema-load', () => ['ddb', 'schema-load', ...flags]],
    ['ddb list-tables', () => ['ddb', 'list-tables']],
    ['ddb describe-table', () => ['ddb', 'describe-table', table]],
    ['ddb seed', () => ['ddb', 'seed', ...flags, '--handles', handles.join(','), '--now', '2026-01-01T00:00:00.000Z']],
    ['ddb scan', () => ['ddb', 'scan', ...flags]],
    [
      'ddb patterns create-message',
      () => ['ddb', 'patterns', 'create-message', ...flags, '--from', handles[0], '--to', handles[1], 'hello'],
    ],
    ['ddb patterns list-conversations', () => ['ddb', 'patterns', 'list-conversations', handles[0], ...flags]],
    ['ddb doctor', () => ['ddb', 'doctor', ...flags]],
    ['db sessions', () => ['db', 'sessions']],
    ['local status', () => ['local', 'status']],
    ['momento create-cache', () => ['momento', 'create-cache', '--cache', cache]],
    ['momento set', () => ['momento', 'set', '--cache', cache, 'key', 'value']],
    ['momento get', () => ['momento', 'get', '--cache', cache, 'key']],
    ['momento list-caches', () => ['momento', 'list-caches']],
    ['momento delete', () => ['momento', 'delete', '--cache', cache, 'key']],
    ['ddb drop', () => ['ddb', 'drop', ...flags]],
  ]

  for (const [name, args] of commands) {
    it(`${name} --json keeps its shape`, async () => {
      const result = await cliJson(args())
      expect(result.code, result.stderr).to.equal(0)
      actual[name] = shapeOf(result.json)
      if (process.env.UPDATE_SNAPSHOTS) return
      expect(expected[name], `no snapshot of ${name}: run with UPDATE_SNAPSHOTS=1`).to.not.equal(undefined)
      expect(actual[name], `the --json shape of \`cruddur ${name}\` changed`).to.deep.equal(expected[name])
    })
  }
})

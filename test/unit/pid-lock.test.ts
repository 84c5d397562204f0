/** The one pid lock (state directory, stream checkpoints): who holds it, when it is stale, one winner of a takeover. */
import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {PidLock} from '../../src/lib/pid-lock.js'
import {processIdentity} from '../../src/lib/process-identity.js'
import {ROOT} from '../support/cli.js'
import {contend} from '../support/contenders.js'

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true')
  await new Promise((resolve) => child.on('exit', resolve))
  return child.pid!
}

/**
 * A process contending for locks: told the instant, it tries each file in turn (one every 5 ms) until it takes it or
 * finds it held, prints `taken` or `held` for each, and holds what it took until stdin closes.
 */
const CONTENDER = `
const {PidLock} = await import(process.env.PID_LOCK_MODULE)
const locks = JSON.parse(process.env.LOCK_FILES).map((file) => new PidLock(file))
process.stdout.write('ready\\n')
const startAt = Number(await new Promise((resolve) => process.stdin.once('data', resolve)))
const results = []
for (const [i, lock] of locks.entries()) {
  while (performance.timeOrigin + performance.now() < startAt + i * 5) {}
  let attempt = lock.attempt()
  while (attempt.outcome === 'retry' || attempt.outcome === 'taking-over') attempt = lock.attempt()
  results.push(attempt.outcome)
}
process.stdout.write(JSON.stringify(results) + '\\n')
`

describe('the pid lock', () => {
  let dir: string
  let file: string
  const children: ChildProcess[] = []

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cruddur-pid-lock-'))
    file = join(dir, 'some.lock')
  })

  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL')
    rmSync(dir, {force: true, recursive: true})
  })

  const sleeper = () => {
    const child = spawn('sleep', ['300'], {stdio: 'ignore'})
    children.push(child)
    return child.pid!
  }

  it('records its holder by pid and start time, and is removed on release', () => {
    const lock = new PidLock(file)
    expect(lock.attempt()).to.deep.equal({outcome: 'taken'})
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({
      pid: process.pid,
      startTime: processIdentity(process.pid)!.startTime,
    })
    expect(lock.holder()).to.include({live: true, pid: process.pid})
    lock.release()
    expect(existsSync(file)).to.equal(false)
  })

  it('is held against a second taker in the same process until released, and only its taker removes it', () => {
    const first = new PidLock(file)
    const second = new PidLock(file)
    first.attempt()
    expect(second.attempt()).to.deep.equal({outcome: 'held', pid: process.pid})
    second.release()
    expect(existsSync(file)).to.equal(true)
    first.release()
    expect(second.attempt()).to.deep.equal({outcome: 'taken'})
    second.release()
  })

  for (const [format, record] of [
    ['pid and start time', (pid: number) => JSON.stringify({pid, startTime: '1'})],
    ['a bare pid, as older stream locks', String],
    ['a pid alone in JSON, as older state locks', (pid: number) => JSON.stringify({pid})],
  ] as const) {
    it(`a lock of a dead pid (${format}) is taken over`, async () => {
      writeFileSync(file, record(await deadPid()))
      const lock = new PidLock(file)
      expect(lock.holder()?.live).to.equal(false)
      expect(lock.attempt()).to.deep.equal({outcome: 'retry'})
      expect(lock.attempt()).to.deep.equal({outcome: 'taken'})
      lock.release()
    })
  }

  it('a lock whose pid runs but started at another time (the pid was reused) is stale', () => {
    const pid = sleeper()
    writeFileSync(file, JSON.stringify({pid, startTime: 'not-its-start-time'}))
    const lock = new PidLock(file)
    expect(lock.holder()).to.include({live: false, pid})
    expect(lock.attempt()).to.deep.equal({outcome: 'retry'})
    expect(lock.attempt()).to.deep.equal({outcome: 'taken'})
    lock.release()
  })

  it('a lock of a live process, with its start time or without one (older locks), is held', () => {
    const pid = sleeper()
    for (const record of [JSON.stringify({pid, startTime: processIdentity(pid)!.startTime}), String(pid)]) {
      writeFileSync(file, record)
      expect(new PidLock(file).attempt()).to.deep.equal({outcome: 'held', pid})
      expect(readFileSync(file, 'utf8')).to.equal(record)
    }
  })

  it('a lock naming no pid is reported, and counts as stale only once older than the caller allows', () => {
    writeFileSync(file, 'garbage')
    const lock = new PidLock(file)
    expect(lock.attempt({corruptIsStaleAfterMs: 5000}).outcome).to.equal('corrupt')
    utimesSync(file, new Date(0), new Date(0))
    expect(lock.attempt().outcome).to.equal('corrupt')
    expect(lock.attempt({corruptIsStaleAfterMs: 5000})).to.deep.equal({outcome: 'retry'})
    expect(lock.attempt()).to.deep.equal({outcome: 'taken'})
    lock.release()
  })

  it('while a live process takes a stale lock over, others wait for it; a dead taker is cleared', async () => {
    const taker = sleeper()
    writeFileSync(file, String(await deadPid()))
    writeFileSync(`${file}.takeover`, String(taker))
    const lock = new PidLock(file)
    expect(lock.attempt()).to.deep.equal({outcome: 'taking-over', pid: taker})
    expect(existsSync(file)).to.equal(true)
    writeFileSync(`${file}.takeover`, String(await deadPid()))
    expect(lock.attempt()).to.deep.equal({outcome: 'retry'})
    expect(existsSync(`${file}.takeover`)).to.equal(false)
  })

  it('of processes taking over the same stale locks together, exactly one wins each', async () => {
    const files = Array.from({length: 100}, (_, n) => join(dir, `${n}.lock`))
    const dead = await deadPid()
    for (const lockFile of files) writeFileSync(lockFile, JSON.stringify({pid: dead, startTime: '1'}))
    for (const outcomes of await contend(4, CONTENDER, {
      LOCK_FILES: JSON.stringify(files),
      PID_LOCK_MODULE: pathToFileURL(join(ROOT, 'src/lib/pid-lock.ts')).href,
    })) {
      expect(
        outcomes.filter((outcome) => outcome === 'taken'),
        outcomes.join(),
      ).to.have.length(1)
      expect(
        outcomes.filter((outcome) => outcome === 'held'),
        outcomes.join(),
      ).to.have.length(3)
    }
  })
})

import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import {createConnection} from 'node:net'
import {networkInterfaces, tmpdir, userInfo} from 'node:os'
import {join} from 'node:path'

import type {ListTablesResult} from '../../src/commands/ddb/list-tables.js'
import type {LocalStatusResult} from '../../src/commands/local/status.js'
import {postgresHome} from '../../src/lib/local/postgres.js'
import {removeLocalStack} from '../../src/lib/local/stack.js'
import {withStateLock} from '../../src/lib/local/state-lock.js'
import {processIdentity} from '../../src/lib/process-identity.js'
import {readState} from '../../src/lib/stack-state.js'
import {testStack} from '../hooks.js'
import {cli, cliJson, errorLines} from '../support/cli.js'

const dynamodbRecord = (pid: number, extra: Record<string, unknown> = {}) => ({
  dynamodb: {
    endpoint: 'http://127.0.0.1:1',
    inMemory: true,
    log: '/dev/null',
    pid,
    port: 1,
    version: '3.3.1',
    ...extra,
  },
})

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A process of the test's own, that a state file can name as if it were a service. */
function sleeper(): ChildProcess {
  return spawn('sleep', ['300'], {stdio: 'ignore'})
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true')
  await new Promise((resolve) => child.on('exit', resolve))
  return child.pid!
}

/** Pids of processes whose working directory is `dir` or below: the services a start left there. */
function processesIn(dir: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`)
      if (cwd === dir || cwd.startsWith(`${dir}/`)) pids.push(Number(entry))
    } catch {}
  }

  return pids
}

/** True when a TCP connection to host:port succeeds. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({host, port})
    socket.setTimeout(2000, () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

describe('local stack safety', () => {
  let dir: string
  const children: ChildProcess[] = []

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cruddur-safety-'))
  })

  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL')
    rmSync(dir, {force: true, recursive: true})
  })

  describe('stop acts only on what start started', () => {
    it(
      'a recorded pid that now belongs to another program is left alive, ' + 'with a note, and its record removed',
      async () => {
        const other = sleeper()
        children.push(other)
        // As after a reboot: the pid is reused, its start time and command line are not the recorded ones.
        writeFileSync(
          join(dir, 'state.json'),
          JSON.stringify(dynamodbRecord(other.pid!, {command: 'java -cp x y', startTime: '1'})),
        )
        const stopped = await cli(['local', 'stop', '--state-dir', dir])
        expect(stopped.code, stopped.stderr).to.equal(0)
        expect(stopped.stderr).to.include(`pid ${other.pid}`).and.include('another program')
        expect(alive(other.pid!)).to.equal(true)
        expect(readState(dir)).to.deep.equal({})
      },
    )

    it('a record without an identity (an older cruddur) is never signalled', async () => {
      const other = sleeper()
      children.push(other)
      writeFileSync(join(dir, 'state.json'), JSON.stringify(dynamodbRecord(other.pid!)))
      const stopped = await cli(['local', 'stop', '--state-dir', dir])
      expect(stopped.code, stopped.stderr).to.equal(0)
      expect(stopped.stderr).to.include('an older cruddur')
      expect(alive(other.pid!)).to.equal(true)
    })

    it('a state file naming pid 1 is refused as not a service record', () => {
      // Never run `local stop` on it: an unfixed stop signals the process group -1, every process there is.
      writeFileSync(join(dir, 'state.json'), JSON.stringify(dynamodbRecord(1)))
      expect(() => readState(dir)).to.throw(/state\.json .*pid 1 is never a service/)
    })

    it('stop on a corrupt state file is an error naming the file, and keeps the file', async () => {
      writeFileSync(join(dir, 'state.json'), '{"dynamodb": {"pid": 12')
      const stopped = await cli(['local', 'stop', '--state-dir', dir])
      expect(stopped.code).to.equal(1)
      expect(errorLines(stopped.stderr)).to.have.length(1)
      expect(stopped.stderr).to.include(join(dir, 'state.json'))
      expect(stopped.stdout).to.not.include('stopped')
      expect(readFileSync(join(dir, 'state.json'), 'utf8')).to.equal('{"dynamodb": {"pid": 12')
    })
  })

  describe('no silent fallback to the default ports', () => {
    for (const [name, content] of [
      ['a corrupt', '{"dynamodb": '],
      ['a null', 'null'],
      ['an array', '[]'],
    ]) {
      it(`${name} state file is one line naming the file, before any target is chosen`, async () => {
        writeFileSync(join(dir, 'state.json'), content)
        const result = await cli(['ddb', 'list-tables', '--state-dir', dir])
        expect(result.code, result.stderr).to.equal(1)
        expect(errorLines(result.stderr)).to.have.length(1)
        expect(result.stderr).to.include(join(dir, 'state.json')).and.include('cruddur local start')
        // No target line: nothing was chosen, so nothing was contacted.
        expect(result.stderr).to.not.include('→')
        expect(result.stderr).to.not.include('TypeError')
      })
    }

    it('the same in the default state directory (no --state-dir, no CRUDDUR_STATE_DIR)', async () => {
      mkdirSync(join(dir, 'cruddur'))
      writeFileSync(join(dir, 'cruddur', 'state.json'), 'null')
      const result = await cli(['ddb', 'list-tables'], {env: {CRUDDUR_STATE_DIR: '', XDG_DATA_HOME: dir}})
      expect(result.code, result.stderr).to.equal(1)
      expect(result.stderr).to.include(join(dir, 'cruddur', 'state.json'))
      expect(result.stderr).to.not.include('→')
    })

    it('with --endpoint a broken state file does not matter', async () => {
      writeFileSync(join(dir, 'state.json'), 'null')
      const result = await cliJson<ListTablesResult>([
        'ddb',
        'list-tables',
        '--state-dir',
        dir,
        '--endpoint',
        testStack().dynamodbEndpoint,
      ])
      expect(result.code, result.stderr).to.equal(0)
    })

    it('a recorded service that is dead is an error naming it and the fix, not the default port', async () => {
      writeFileSync(
        join(dir, 'state.json'),
        JSON.stringify(dynamodbRecord(await deadPid(), {command: 'java', startTime: '1'})),
      )
      const result = await cli(['ddb', 'list-tables', '--state-dir', dir])
      expect(result.code, result.stderr).to.equal(3)
      expect(errorLines(result.stderr)).to.have.length(1)
      expect(result.stderr)
        .to.include('DynamoDB Local recorded in')
        .and.include('is not running')
        .and.include('cruddur local start')
        .and.include('--endpoint')
      expect(result.stderr).to.not.include('→')
    })

    it('a --state-dir with no stack in it, or that is a file, is an error', async () => {
      const empty = await cli(['ddb', 'list-tables', '--state-dir', dir])
      expect(empty.code, empty.stderr).to.equal(3)
      expect(empty.stderr).to.include(`no local stack in ${dir}`).and.include(`cruddur local start --state-dir ${dir}`)
      const file = join(dir, 'a-file')
      writeFileSync(file, '')
      const notDir = await cli(['db', 'sessions', '--state-dir', file])
      expect(notDir.code, notDir.stderr).to.equal(2)
      expect(notDir.stderr).to.include(`${file} is a file`)
    })

    it('the target line says where the target came from', async () => {
      const fromStack = await cli(['ddb', 'list-tables'])
      expect(fromStack.stderr).to.include(
        `→ local ${testStack().dynamodbEndpoint} · table cruddur-messages (from local stack)`,
      )
      const fromFlag = await cli(['ddb', 'list-tables', '--endpoint', testStack().dynamodbEndpoint])
      expect(fromFlag.stderr).to.include('(from --endpoint)')
    })
  })

  it('no shell is given the state directory: a directory named $(touch …) runs nothing', function () {
    // Only root checks whether the postgres user can reach the directory.
    if (userInfo().uid !== 0) this.skip()
    chmodSync(dir, 0o777)
    const pwned = join(dir, 'pwned')
    postgresHome(join(dir, `$(touch ${pwned})`))
    expect(existsSync(pwned)).to.equal(false)
  })

  it('DynamoDB Local and the other services cannot be reached on a non-loopback address', async function () {
    const addresses = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal)
      .map((a) => a!.address)
    if (addresses.length === 0) this.skip()
    const state = readState(testStack().stateDir)
    for (const port of [state.dynamodb!.port, state.cognito!.port, state.momento!.port, state.postgres!.port]) {
      for (const address of addresses) expect(await connects(address, port), `${address}:${port}`).to.equal(false)
    }

    expect(await connects('127.0.0.1', state.dynamodb!.port)).to.equal(true)
  })

  it('status reports a frozen service as not answering and exits 3', async function () {
    this.timeout(30_000)
    const pid = readState(testStack().stateDir).dynamodb!.pid
    process.kill(pid, 'SIGSTOP')
    try {
      const status = await cliJson<LocalStatusResult>(['local', 'status'])
      expect(status.code).to.equal(3)
      expect(status.json.services.find((s) => s.service === 'dynamodb')!.state).to.equal('not answering')
      expect(status.json.services.filter((s) => s.service !== 'dynamodb').map((s) => s.state)).to.deep.equal([
        'running',
        'running',
        'running',
      ])
    } finally {
      process.kill(pid, 'SIGCONT')
    }

    const again = await cliJson<LocalStatusResult>(['local', 'status'])
    expect(again.code).to.equal(0)
  })

  describe('the state directory lock', () => {
    it('a lock whose holder is gone, or that is old garbage, is taken over', async () => {
      writeFileSync(join(dir, 'state.lock'), JSON.stringify({pid: await deadPid(), startTime: '1'}))
      expect(await withStateLock(dir, async () => 'ran')).to.equal('ran')
      expect(existsSync(join(dir, 'state.lock'))).to.equal(false)
      writeFileSync(join(dir, 'state.lock'), 'garbage')
      utimesSync(join(dir, 'state.lock'), new Date(0), new Date(0))
      expect(await withStateLock(dir, async () => 'ran')).to.equal('ran')
    })

    it('a lock held by a live process is waited for, then a conflict naming it', async () => {
      const holder = sleeper()
      children.push(holder)
      writeFileSync(
        join(dir, 'state.lock'),
        JSON.stringify({pid: holder.pid, startTime: processIdentity(holder.pid!)!.startTime}),
      )
      const notes: string[] = []
      let ran = false
      const error = await withStateLock(dir, async () => (ran = true), {
        onWait: (note) => notes.push(note),
        timeoutMs: 300,
      }).catch((error_: Error) => error_)
      expect(String(error)).to.include(`pid ${holder.pid}`).and.include('state.lock')
      expect(ran).to.equal(false)
      expect(notes.join()).to.include(`pid ${holder.pid}`)
    })
  })

  describe('two concurrent starts on one directory', () => {
    let stackDir: string

    before(() => {
      stackDir = mkdtempSync(join(tmpdir(), 'cruddur-concurrent-'))
    })

    after(async function () {
      this.timeout(60_000)
      await cli(['local', 'stop', '--state-dir', stackDir])
      // Whatever a broken start left unrecorded: processes of ours, found by their working directory.
      for (const pid of processesIn(stackDir)) process.kill(pid, 'SIGKILL')
      await removeLocalStack(stackDir)
    })

    it('make one stack with every service recorded, a stale record noted, and private files', async function () {
      this.timeout(240_000)
      const other = sleeper()
      children.push(other)
      // A stale record, as after a reboot: noted, left alone, replaced.
      writeFileSync(
        join(stackDir, 'state.json'),
        JSON.stringify(dynamodbRecord(other.pid!, {command: 'java', startTime: '1'})),
      )
      const ports = ['--dynamodb-port', '0', '--postgres-port', '0', '--cognito-port', '0', '--momento-port', '0']
      const [first, second] = await Promise.all([
        cli(['local', 'start', '--state-dir', stackDir, ...ports]),
        cli(['local', 'start', '--state-dir', stackDir, ...ports]),
      ])
      expect(first.code, first.stderr).to.equal(0)
      expect(second.code, second.stderr).to.equal(0)
      expect(`${first.stderr}${second.stderr}`).to.include(`pid ${other.pid}, which now belongs to another program`)
      expect(alive(other.pid!)).to.equal(true)

      const state = readState(stackDir)
      const recorded = [state.dynamodb!.pid, state.cognito!.pid, state.momento!.pid].sort()
      expect(processesIn(stackDir).sort()).to.deep.equal(recorded)
      const status = await cliJson<LocalStatusResult>(['local', 'status', '--state-dir', stackDir])
      expect(status.code).to.equal(0)

      // DynamoDB Local writes its data file with the first table.
      const schema = await cli(['ddb', 'schema-load', '--state-dir', stackDir])
      expect(schema.code, schema.stderr).to.equal(0)
      expect(schema.stdout).to.include(`on local ${state.dynamodb!.endpoint}`)

      // Private: the directory 0700, every file 0600 (state, logs, DynamoDB's data, cognito-local's users).
      expect(statSync(stackDir).mode & 0o777).to.equal(0o700)
      const files: string[] = []
      const walk = (d: string) => {
        for (const entry of readdirSync(d, {withFileTypes: true})) {
          if (entry.isDirectory()) {
            expect(statSync(join(d, entry.name)).mode & 0o077, join(d, entry.name)).to.equal(0)
            walk(join(d, entry.name))
          } else files.push(join(d, entry.name))
        }
      }

      walk(stackDir)
      expect(files.some((f) => f.endsWith('.db'))).to.equal(true)
      for (const file of files) expect(statSync(file).mode & 0o077, file).to.equal(0)
      expect(readFileSync(join(stackDir, 'state.json'), 'utf8')).to.not.include('password')
    })
  })
})

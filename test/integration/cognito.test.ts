import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider'
import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DbUpdateCognitoUserIdsResult} from '../../src/commands/db/update-cognito-user-ids.js'
import {createCognitoClient} from '../../src/lib/cognito/client.js'
import {LIST_USERS_MAX_PAGE, listCognitoUsers, type ListUsersSender} from '../../src/lib/cognito/users.js'
import {startCognitoLocal} from '../../src/lib/local/cognito-local.js'
import {freePort} from '../../src/lib/local/ports.js'
import {stopProcess} from '../../src/lib/local/process.js'
import type {CognitoRecord, ProcessIdentity} from '../../src/lib/stack-state.js'
import {LOCAL_REGION} from '../../src/lib/targets/shared.js'
import {testStack} from '../hooks.js'
import {cli, cliJson, errorLines} from '../support/cli.js'
import {cognitoUserIds, insertUsers, type TestDatabase, useTestDatabase} from '../support/database.js'

/** A Cognito user to create: its preferred_username, and its sub when the test needs a given one. */
type NewCognitoUser = {preferredUsername?: string; sub?: string}

describe('local cognito', () => {
  it('creates the pool, its client and the seed users once: a restart keeps them and their subs', async function () {
    this.timeout(120_000)
    const dir = mkdtempSync(join(tmpdir(), 'cruddur-cognito-test-'))
    const started: CognitoRecord[] = []
    const subsOf = async (endpoint: string, userPoolId: string) => {
      const client = createCognitoClient({endpoint, kind: 'local', region: LOCAL_REGION, source: 'flag'})
      try {
        const users = await listCognitoUsers(client, userPoolId)
        return Object.fromEntries(users.map((u) => [u.preferredUsername, u.sub]))
      } finally {
        client.destroy()
      }
    }

    try {
      const first = await startCognitoLocal({dir, port: await freePort()})
      started.push(first)
      const subs = await subsOf(first.endpoint, first.userPoolId!)
      expect(Object.keys(subs)).to.have.members(['andrewbrown', 'bayko', 'londo'])
      await stopProcess(first.pid, first as ProcessIdentity)

      const second = await startCognitoLocal({dir, port: await freePort()})
      started.push(second)
      expect(second).to.deep.include({clientId: first.clientId, userPoolId: first.userPoolId})
      expect(await subsOf(second.endpoint, second.userPoolId!)).to.deep.equal(subs)
    } finally {
      for (const record of started) await stopProcess(record.pid, record as ProcessIdentity)
      rmSync(dir, {force: true, recursive: true})
    }
  })
})

describe('cruddur db update-cognito-user-ids', () => {
  let cognito: CognitoIdentityProviderClient

  before(() => {
    cognito = createCognitoClient({
      endpoint: testStack().cognitoEndpoint,
      kind: 'local',
      region: LOCAL_REGION,
      source: 'flag',
    })
  })

  after(() => cognito.destroy())

  /** A user pool of the test's own on the stack's cognito-local; returns its id and each user's sub by username. */
  async function createPool(users: NewCognitoUser[]): Promise<{userPoolId: string; subs: Map<string, string>}> {
    const pool = await cognito.send(new CreateUserPoolCommand({PoolName: `test-${randomBytes(4).toString('hex')}`}))
    const userPoolId = pool.UserPool!.Id!
    const subs = new Map<string, string>()
    for (const [index, user] of users.entries()) {
      const attributes = [
        ...(user.preferredUsername === undefined ? [] : [{Name: 'preferred_username', Value: user.preferredUsername}]),
        ...(user.sub ? [{Name: 'sub', Value: user.sub}] : []),
      ]
      const created = await cognito.send(
        new AdminCreateUserCommand({
          MessageAction: 'SUPPRESS',
          UserAttributes: attributes,
          UserPoolId: userPoolId,
          Username: `user${index}`,
        }),
      )
      subs.set(
        user.preferredUsername ?? `user${index}`,
        created.User!.Attributes!.find((a) => a.Name === 'sub')!.Value!,
      )
    }

    return {subs, userPoolId}
  }

  /** `cruddur db update-cognito-user-ids` with these flags. */
  const updateIds = (...flags: string[]) => cli(['db', 'update-cognito-user-ids', ...flags])
  const update = (db: TestDatabase, userPoolId: string, extra: string[] = []) =>
    cliJson<DbUpdateCognitoUserIdsResult>([
      'db',
      'update-cognito-user-ids',
      '--database-url',
      db.url,
      '--user-pool-id',
      userPoolId,
      ...extra,
    ])

  describe('listing users', () => {
    it('follows PaginationToken page after page, asking for pages of at most 60', async () => {
      const pages = [60, 60, 7].map((size, page) =>
        Array.from({length: size}, (_, i) => ({
          Attributes: [
            {Name: 'sub', Value: `sub-${page}-${i}`},
            {Name: 'preferred_username', Value: `h${page}_${i}`},
          ],
          Username: `u${page}_${i}`,
        })),
      )
      const requests: Array<{Limit?: number; PaginationToken?: string; UserPoolId?: string}> = []
      const stub: ListUsersSender = {
        async send(command: ListUsersCommand) {
          requests.push(command.input)
          const page = command.input.PaginationToken ? Number(command.input.PaginationToken.replace('token-', '')) : 0
          return {PaginationToken: page < pages.length - 1 ? `token-${page + 1}` : undefined, Users: pages[page]}
        },
      }

      const users = await listCognitoUsers(stub, 'pool-1', {pageSize: 500})
      expect(users).to.have.length(127)
      expect(users.at(-1)).to.deep.equal({email: null, preferredUsername: 'h2_6', sub: 'sub-2-6', username: 'u2_6'})
      expect(requests).to.deep.equal([
        {Limit: LIST_USERS_MAX_PAGE, PaginationToken: undefined, UserPoolId: 'pool-1'},
        {Limit: LIST_USERS_MAX_PAGE, PaginationToken: 'token-1', UserPoolId: 'pool-1'},
        {Limit: LIST_USERS_MAX_PAGE, PaginationToken: 'token-2', UserPoolId: 'pool-1'},
      ])
    })

    it('stops with an error when the server repeats a page token instead of looping for ever', async () => {
      const stub: ListUsersSender = {send: async () => ({PaginationToken: 'same', Users: []})}
      let failure: Error | undefined
      try {
        await listCognitoUsers(stub, 'pool-1')
      } catch (error) {
        failure = error as Error
      }

      expect(failure?.message).to.include('same ListUsers page token twice')
    })
  })

  describe('against cognito-local', () => {
    const db = useTestDatabase('cruddur_cognito_test', 'each')

    it(
      'links more users than one ListUsers page holds: matched, unmatched and already set; dry run first; ' +
        'twice changes nothing',
      async function () {
        this.timeout(180_000)
        // 130 Cognito users: more than two AWS pages of 60.
        const matched = Array.from({length: 125}, (_, i) => `member${String(i).padStart(3, '0')}`)
        const {subs, userPoolId} = await createPool([
          ...matched.map((handle) => ({preferredUsername: handle})),
          {preferredUsername: 'MixedCase'},
          {preferredUsername: 'cognito_only_1'},
          {preferredUsername: 'cognito_only_2'},
          {},
          {preferredUsername: 'preset'},
        ])
        await insertUsers(db().pool, [
          ...matched.map((handle) => ({handle})),
          {handle: 'mixedcase'},
          {handle: 'postgres_only', cognitoUserId: null},
          {handle: 'stale', cognitoUserId: 'sub-of-a-deleted-cognito-user'},
          {cognitoUserId: subs.get('preset'), handle: 'preset'},
        ])

        const dryRun = await update(db(), userPoolId, ['--dry-run', '--page-size', '7'])
        expect(dryRun.code, dryRun.stderr).to.equal(0)
        expect(dryRun.json.dryRun).to.equal(true)
        expect(dryRun.json.updated).to.have.length(126)
        const untouched = await cognitoUserIds(db().pool)
        expect(Object.values(untouched).filter(Boolean)).to.deep.equal([
          'sub-of-a-deleted-cognito-user',
          subs.get('preset'),
        ])

        const run = await update(db(), userPoolId)
        expect(run.code, run.stderr).to.equal(0)
        expect(run.json.dryRun).to.equal(false)
        expect(run.json.updated).to.deep.equal(dryRun.json.updated)
        expect(run.json.updated.map((u) => u.handle)).to.have.members([...matched, 'mixedcase'])
        expect(run.json.alreadyCorrect).to.deep.equal([{cognitoUserId: subs.get('preset'), handle: 'preset'}])
        expect(run.json.cognitoUsersWithoutHandle.map((u) => u.preferredUsername)).to.have.members([
          'cognito_only_1',
          'cognito_only_2',
          null,
        ])
        expect(run.json.postgresUsersWithoutCognitoUser).to.deep.equal([
          {cognitoUserId: null, handle: 'postgres_only'},
          {cognitoUserId: 'sub-of-a-deleted-cognito-user', handle: 'stale'},
        ])

        const linked = await cognitoUserIds(db().pool)
        for (const handle of matched) expect(linked[handle], handle).to.equal(subs.get(handle))
        expect(linked.mixedcase).to.equal(subs.get('MixedCase'))
        expect(linked.postgres_only).to.equal(null)
        expect(linked.stale).to.equal('sub-of-a-deleted-cognito-user')

        const again = await update(db(), userPoolId)
        expect(again.json.updated).to.deep.equal([])
        expect(again.json.alreadyCorrect).to.have.length(127)
        expect(await cognitoUserIds(db().pool)).to.deep.equal(linked)

        const human = await updateIds('--database-url', db().url, '--user-pool-id', userPoolId)
        expect(human.stdout).to.include(
          '0 updated, 127 already correct, 3 Cognito users without a matching handle, ' +
            '2 PostgreSQL users without a Cognito user.',
        )
      },
    )

    it('a duplicate sub half-way rolls back every update', async () => {
      const {subs, userPoolId} = await createPool([
        {preferredUsername: 'rb_a'},
        {preferredUsername: 'rb_b'},
        {preferredUsername: 'rb_c', sub: 'shared-sub'},
        {preferredUsername: 'rb_d', sub: 'shared-sub'},
      ])
      await insertUsers(
        db().pool,
        ['rb_a', 'rb_b', 'rb_c', 'rb_d'].map((handle) => ({handle})),
      )

      const {code, stderr} = await updateIds('--database-url', db().url, '--user-pool-id', userPoolId)
      expect(code).to.equal(9)
      expect(errorLines(stderr)).to.have.length(1)
      expect(stderr)
        .to.include('shared-sub')
        .and.include('@rb_d')
        .and.include('@rb_c')
        .and.include('nothing was changed')
      expect(subs.get('rb_a')).to.be.a('string')
      expect(await cognitoUserIds(db().pool)).to.deep.equal({rb_a: null, rb_b: null, rb_c: null, rb_d: null})
    })

    it('handles with quotes and SQL in them are stored and matched literally', async () => {
      const odd = ["o'brien", 'robert"); DROP TABLE users; --', '50%_off']
      const {subs, userPoolId} = await createPool([
        ...odd.map((handle) => ({preferredUsername: handle})),
        {preferredUsername: 'a_b'},
      ])
      await insertUsers(db().pool, [...odd.map((handle) => ({handle})), {handle: 'axb'}, {handle: '50%Xoff'}])

      const {code, json, stderr} = await update(db(), userPoolId)
      expect(code, stderr).to.equal(0)
      expect(json.updated.map((u) => u.handle)).to.have.members(odd)
      expect(json.cognitoUsersWithoutHandle.map((u) => u.preferredUsername)).to.deep.equal(['a_b'])
      expect(json.postgresUsersWithoutCognitoUser.map((u) => u.handle)).to.have.members(['axb', '50%Xoff'])
      const linked = await cognitoUserIds(db().pool)
      for (const handle of odd) expect(linked[handle], handle).to.equal(subs.get(handle))
    })

    it("on a laptop: `db setup`, then no flags at all, links the seed users to the local stack's pool", async () => {
      const setup = await cli(['db', 'setup', '--database-url', db().url])
      expect(setup.code, setup.stderr).to.equal(0)
      const {code, json, stderr} = await cliJson<DbUpdateCognitoUserIdsResult>([
        'db',
        'update-cognito-user-ids',
        '--database-url',
        db().url,
      ])
      expect(code, stderr).to.equal(0)
      const linked = await cognitoUserIds(db().pool)
      for (const handle of ['andrewbrown', 'bayko', 'londo']) {
        const user = await cognito.send(new AdminGetUserCommand({UserPoolId: testStack().userPoolId, Username: handle}))
        const sub = user.UserAttributes!.find((a) => a.Name === 'sub')!.Value
        expect(linked[handle], handle).to.equal(sub)
        expect(user.UserAttributes!.find((a) => a.Name === 'preferred_username')!.Value).to.equal(handle)
      }

      expect(json.updated.map((u) => u.handle)).to.include.members(['andrewbrown', 'bayko', 'londo'])
    })
  })

  describe('bad input', () => {
    const db = useTestDatabase('cruddur_cognito_test_bad', 'all')

    it('no pool id: one line naming --user-pool-id and AWS_COGNITO_USER_POOL_ID, exit 2', async () => {
      const {code, stderr} = await updateIds(
        '--database-url',
        db().url,
        '--cognito-endpoint',
        testStack().cognitoEndpoint,
      )
      expect(code).to.equal(2)
      expect(errorLines(stderr)).to.have.length(1)
      expect(stderr).to.include('--user-pool-id').and.include('AWS_COGNITO_USER_POOL_ID')
    })

    it('--prod with --cognito-endpoint is a usage error that touches nothing', async () => {
      const {code, stderr} = await updateIds(
        '--prod',
        '--cognito-endpoint',
        testStack().cognitoEndpoint,
        '--database-url',
        db().url,
        '--user-pool-id',
        'x',
      )
      expect(code).to.equal(2)
      expect(errorLines(stderr)).to.have.length(1)
    })

    it('a pool that does not exist: one line naming it, exit 4', async () => {
      const {code, stderr} = await updateIds('--database-url', db().url, '--user-pool-id', 'local_NoSuchPool')
      expect(code).to.equal(4)
      expect(errorLines(stderr)).to.have.length(1)
      expect(stderr).to.include('local_NoSuchPool')
    })

    it('Cognito unreachable: one line naming Cognito and its endpoint, exit 3', async () => {
      const endpoint = `http://127.0.0.1:${await freePort()}`
      const {code, stderr} = await updateIds(
        '--database-url',
        db().url,
        '--cognito-endpoint',
        endpoint,
        '--user-pool-id',
        'local_x',
      )
      expect(code).to.equal(3)
      expect(errorLines(stderr)).to.have.length(1)
      expect(stderr).to.include(`Cognito is not reachable at ${endpoint}`)
    })

    it('the database unreachable: one line naming PostgreSQL, exit 3; a wrong password: exit 5, masked', async () => {
      const {userPoolId} = testStack()
      const down = await updateIds(
        '--database-url',
        `postgresql://postgres:password@localhost:${await freePort()}/cruddur`,
        '--user-pool-id',
        userPoolId,
      )
      expect(down.code).to.equal(3)
      expect(errorLines(down.stderr)).to.have.length(1)
      expect(down.stderr).to.include('PostgreSQL is not reachable')

      const url = new URL(db().url)
      url.password = 'wrong-secret'
      const denied = await updateIds('--database-url', url.toString(), '--user-pool-id', userPoolId)
      expect(denied.code).to.equal(5)
      expect(errorLines(denied.stderr)).to.have.length(1)
      expect(denied.stderr).to.not.include('wrong-secret')
    })
  })
})

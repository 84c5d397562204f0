// Cache: Pattern B (`list-conversations`) for many users with and without the Momento cache (the local
// stand-in, through the real SDK), all in this run:
// - in-process read time (a long-lived reader, like the web app): DynamoDB Query vs a cache hit;
// - the hit ratio after a stream-driven workload (new messages, then `ddb stream process --once --cache`);
// - the median command time of `list-conversations --cache` (a hit) vs `--no-cache` (a DynamoDB read).
// Not a test: it asserts nothing.
import {spawnSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {join} from 'node:path'

import {BIN, median, ROOT, timeCommand, withStack} from './support.js'

const USERS = Number(process.env.BENCH_CACHE_USERS ?? 60)
const CONVERSATIONS_PER_USER = 3
const NEW_MESSAGES = Number(process.env.BENCH_CACHE_MESSAGES ?? 40)
const TABLE = 'bench-cache'

const lib = (path) => import(join(ROOT, 'dist', path))

await withStack(async ({state, stateDir}) => {
  const env = {...process.env, CRUDDUR_STATE_DIR: stateDir}
  const cruddur = (...args) => {
    const result = spawnSync(process.execPath, [BIN, ...args], {encoding: 'utf8', env})
    if (result.status !== 0) throw new Error(`cruddur ${args.join(' ')} failed: ${result.stderr}`)
    return result
  }

  const [
    {createMessage, listConversations},
    {MessagesTable},
    {onCacheWarning},
    {momentoCacheStore, closeMomentoClients},
    {resolveMomentoTarget},
    {loadSchema},
  ] = await Promise.all([
    lib('lib/dynamodb/patterns/index.js'),
    lib('lib/dynamodb/messages-table.js'),
    lib('lib/momento/cache-aside.js'),
    lib('lib/momento/client.js'),
    lib('lib/targets/momento.js'),
    lib('lib/postgres/schema.js'),
  ])
  const {DynamoDBClient} = await import('@aws-sdk/client-dynamodb')
  const pg = (await import('pg')).default

  cruddur('ddb', 'schema-load', '--table', TABLE)
  const client = new DynamoDBClient({
    credentials: {accessKeyId: 'x', secretAccessKey: 'x'},
    endpoint: state.dynamodb.endpoint,
    region: 'us-east-1',
  })
  const table = new MessagesTable({client, name: TABLE})

  // Users in PostgreSQL (the commands look handles up there) and a few conversations each.
  const pool = new pg.Pool({connectionString: state.postgres.url})
  await loadSchema(pool)
  const users = []
  for (let i = 0; i < USERS; i++) {
    const handle = `bench_${i}_${randomUUID().slice(0, 6)}`
    const {rows} = await pool.query(
      'INSERT INTO users (display_name, handle, email) VALUES ($1, $2, $3) RETURNING uuid',
      [`Bench ${i}`, handle, `${handle}@example.com`],
    )
    users.push({displayName: `Bench ${i}`, handle, uuid: rows[0].uuid})
  }

  await pool.end()
  const pick = () => users[Math.floor(Math.random() * users.length)]
  for (const sender of users) {
    for (let n = 0; n < CONVERSATIONS_PER_USER; n++) {
      let recipient = pick()
      while (recipient.uuid === sender.uuid) recipient = pick()
      await createMessage(table, {recipient, sender, text: `hello from ${sender.handle}`})
    }
  }

  cruddur('ddb', 'stream', 'process', '--once', '--no-cache', '--table', TABLE)

  const cache = momentoCacheStore(resolveMomentoTarget({}, {}, state))
  const cached = table.withCache(cache)
  const warnings = []
  onCacheWarning((message) => warnings.push(message))
  const timeRead = async (read) => {
    const started = process.hrtime.bigint()
    const result = await read()
    return {ms: Number(process.hrtime.bigint() - started) / 1e6, result}
  }

  // In-process: every user's first page from DynamoDB, then through the cache twice (misses, then hits).
  const dynamodbTimes = []
  for (const user of users) dynamodbTimes.push((await timeRead(() => listConversations(table, user.uuid))).ms)
  for (const user of users) await listConversations(cached, user.uuid)
  const hitTimes = []
  let warmHits = 0
  for (const user of users) {
    const {ms, result} = await timeRead(() => listConversations(cached, user.uuid))
    hitTimes.push(ms)
    if (result.fromCache) warmHits++
  }

  // Stream-driven workload: new messages, the stream processor refreshes what they changed, then everyone reads.
  const changed = new Set()
  for (let n = 0; n < NEW_MESSAGES; n++) {
    const sender = pick()
    const page = await listConversations(table, sender.uuid)
    const conversation = page.conversations[Math.floor(Math.random() * page.conversations.length)]
    await createMessage(table, {messageGroupUuid: conversation.messageGroupUuid, sender, text: `reply ${n}`})
    changed.add(sender.uuid).add(conversation.with.uuid)
  }

  cruddur('ddb', 'stream', 'process', '--once', '--cache', '--table', TABLE)
  let hits = 0
  let fresh = 0
  for (const user of users) {
    const read = await listConversations(cached, user.uuid)
    const {fromCache, ...page} = read
    if (fromCache) hits++
    const truth = await listConversations(table, user.uuid)
    if (JSON.stringify(truth) === JSON.stringify(page)) fresh++
  }

  // Whole commands, as a user runs them: a hit still starts Node, looks the handle up and loads the SDK.
  const sample = users[0].handle
  cruddur('ddb', 'patterns', 'list-conversations', sample, '--cache', '--table', TABLE)
  const commandHit = timeCommand(
    process.execPath,
    [BIN, 'ddb', 'patterns', 'list-conversations', sample, '--cache', '--table', TABLE],
    {env: {CRUDDUR_STATE_DIR: stateDir}},
  )
  const commandDynamoDb = timeCommand(
    process.execPath,
    [BIN, 'ddb', 'patterns', 'list-conversations', sample, '--no-cache', '--table', TABLE],
    {env: {CRUDDUR_STATE_DIR: stateDir}},
  )

  const row = (name, value) => console.log(`${name.padEnd(52)} ${value}`)
  row(
    `users · conversations each · new messages`,
    `${USERS} · ${CONVERSATIONS_PER_USER} · ${NEW_MESSAGES} (touching ${changed.size} users)`,
  )
  row('in-process read, DynamoDB Query (median)', `${median(dynamodbTimes).toFixed(2)} ms`)
  row(
    'in-process read, cache hit (median)',
    `${median(hitTimes).toFixed(2)} ms  ` +
      `(${(median(dynamodbTimes) / median(hitTimes)).toFixed(2)}x faster; ${warmHits}/${USERS} hits)`,
  )
  row('hit ratio after the stream-driven workload', `${((100 * hits) / USERS).toFixed(1)}%  (${hits}/${USERS})`)
  row('reads equal to DynamoDB after the stream refresh', `${fresh}/${USERS}`)
  row('command: list-conversations --cache, a hit (median)', `${commandHit.toFixed(1)} ms`)
  row(
    'command: list-conversations --no-cache (median)',
    `${commandDynamoDb.toFixed(1)} ms  (hit/DynamoDB ${(commandHit / commandDynamoDb).toFixed(2)}x)`,
  )
  if (warnings.length > 0) row('cache warnings', warnings.join(' | '))
  closeMomentoClients()
  client.destroy()
})

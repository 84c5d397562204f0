import {sep} from 'node:path'

import {startTestStack, stopTestStack, type TestStack} from './support/stack.js'

/** Settings from the developer's shell that would point commands somewhere else than the test stack. */
const FOREIGN_ENV = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER',
  'CONNECTION_URL',
  'PROD_CONNECTION_URL',
  'DDB_MESSAGE_TABLE',
  'AWS_PROFILE',
  // The read patterns use the cache when MOMENTO_CACHE_NAME is set; tests ask for it with --cache.
  'MOMENTO_CACHE_NAME',
  'MOMENTO_LOCAL_ENDPOINT',
  'MOMENTO_TTL_SECONDS',
  'NO_COLOR',
  'DEBUG',
]

// A loaded CI machine can keep a healthy cache past the 100 ms hedge: tests that expect hits would flake.
// Set before any test file loads the cache module; still well under the cache client's timeout.
process.env.CRUDDUR_CACHE_HEDGE_MS ??= '400'

// Kept on globalThis: mocha may load this file under more than one module URL.
const holder = globalThis as {cruddurTestStack?: TestStack}

export function testStack(): TestStack {
  if (!holder.cruddurTestStack) throw new Error('the test stack is not running')
  return holder.cruddurTestStack
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(300_000)
    for (const name of FOREIGN_ENV) delete process.env[name]
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
    // Unit tests need no engine: a run of test/unit files alone starts in milliseconds, not seconds.
    const files = (this.test?.parent?.suites ?? []).map((suite) => suite.file ?? '')
    if (files.length > 0 && files.every((file) => file.includes(`${sep}test${sep}unit${sep}`))) return
    const stack = await startTestStack()
    holder.cruddurTestStack = stack
    // Every command run by the tests finds this stack, as a user's commands find `cruddur local start`'s.
    process.env.CRUDDUR_STATE_DIR = stack.stateDir
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000)
    if (holder.cruddurTestStack) await stopTestStack(holder.cruddurTestStack)
    // A socket or timer a test forgot keeps mocha from exiting, and CI would wait until its time limit.
    // Fail fast instead, naming what is still open. (Unref'd: it never keeps the process alive itself.)
    setTimeout(() => {
      console.error(`mocha could not exit, still open: ${process.getActiveResourcesInfo().join(', ')}`)
      process.exit(1)
    }, 30_000).unref()
  },
}

import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {defaultCacheDir} from '../../lib/paths.js'
import {renderTable} from '../../output.js'
import {describeLocalUserPool, type LocalStackServices, startLocalStack} from '../../lib/local/stack.js'

/** What `local start --json` prints. */
export type LocalStartResult = LocalStackServices

export default class LocalStart extends BaseCommand<typeof LocalStart> {
  static override description =
    `Start the local stack in the background: DynamoDB Local ` +
    `(the official release, fetched once from Maven Central), PostgreSQL, cognito-local and a ` +
    `development stand-in for Momento (the cache; in memory, starts with a cruddur cache).

cognito-local gets a user pool and an app client (created once, kept across restarts) with ` +
    `a Cognito user for each seed handle (andrewbrown, bayko, londo); \`local status\` shows their ids.

Other commands find the running stack by itself, so no endpoint flags are needed ` +
    `afterwards. A default port that is taken moves to a free one (and says so); a port you ask ` +
    `for that is taken is an error. Running it again on a running stack changes nothing.

It returns once every service answers a real request. Every service listens on 127.0.0.1 ` +
    `only; the state directory is private (0700, files 0600). Concurrent starts and stops on ` +
    `one state directory take turns (a lock file). A recorded service whose process is gone, or ` +
    `whose pid now belongs to another program (after a reboot), is noted, dropped and started anew.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dynamodb-port 8100 --postgres-port 5433 --cognito-port 9330',
    '<%= config.bin %> <%= command.id %> --in-memory --state-dir /tmp/cruddur-demo',
  ]

  static override flags = {
    'dynamodb-port': Flags.integer({
      description: 'Port for DynamoDB Local (default 8000; 0 picks a free one).',
      min: 0,
      max: 65_535,
    }),
    'postgres-port': Flags.integer({
      description: 'Port for PostgreSQL (default 5432; 0 picks a free one).',
      min: 0,
      max: 65_535,
    }),
    'cognito-port': Flags.integer({
      description: 'Port for cognito-local (default 9229; 0 picks a free one).',
      min: 0,
      max: 65_535,
    }),
    'momento-port': Flags.integer({
      description: 'Port for the Momento stand-in (default 9230; 0 picks a free one).',
      min: 0,
      max: 65_535,
    }),
    'in-memory': Flags.boolean({description: 'Keep DynamoDB data in memory only (gone at stop).'}),
  }

  async run(): Promise<LocalStartResult> {
    this.info(chalk.dim(`→ local stack in ${this.stateDir}`))
    const services = await startLocalStack({
      cacheDir: defaultCacheDir(),
      inMemory: this.flags['in-memory'],
      onNote: (note) => this.info(chalk.yellow(`note: ${note}`)),
      ports: {
        cognito: this.flags['cognito-port'],
        dynamodb: this.flags['dynamodb-port'],
        momento: this.flags['momento-port'],
        postgres: this.flags['postgres-port'],
      },
      stateDir: this.stateDir,
    })
    this.log(
      renderTable(
        ['service', 'state', 'port', 'pid', 'endpoint'],
        services.map((s) => [s.service, s.state, s.port, s.pid, s.endpoint]),
      ),
    )
    const pool = describeLocalUserPool(services)
    if (pool) this.log(pool)
    return {services, stateDir: this.stateDir}
  }
}

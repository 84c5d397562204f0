import {Args, type Command, Flags} from '@oclif/core'
import chalk from 'chalk'
import {createInterface} from 'node:readline/promises'

import {BaseCommand} from './base-command.js'
import type {ErrorContext} from './translate-error.js'
import {CruddurError} from './lib/errors.js'
import {visible} from './lib/terminal-text.js'
import {describeDynamoDbTarget, type DynamoDbTarget, resolveDynamoDbTarget} from './lib/targets/dynamodb.js'
import {describePostgresTarget, type PostgresTarget, resolvePostgresTarget} from './lib/targets/postgres.js'
import {type TargetFlags} from './lib/targets/shared.js'
import type {DynamoDbClients} from './lib/dynamodb/client.js'
import type {MessagesTable} from './lib/dynamodb/messages-table.js'
import type {CapacityMeter} from './lib/dynamodb/consumed-capacity.js'
import type {Pool} from 'pg'
import type {CacheStore} from './lib/momento/client.js'

/** The TABLE argument of the commands that work on any table: it wins over --table (see dynamoDbTarget). */
export const tableArgument = Args.string({
  description: 'Table name (default: --table, DDB_MESSAGE_TABLE, cruddur-messages).',
})

/**
 * A command that talks to the data: `--prod`, the endpoints, the table. Clients are created on first use
 * (and their SDKs imported then), so a command pays only for what it touches.
 */
export abstract class TargetCommand<T extends typeof Command> extends BaseCommand<T> {
  static override baseFlags = {
    ...BaseCommand.baseFlags,
    prod: Flags.boolean({
      description: 'Target production: AWS DynamoDB with your normal credentials, and PROD_CONNECTION_URL.',
      helpGroup: 'TARGET',
    }),
    endpoint: Flags.string({
      description:
        'DynamoDB endpoint URL (default: AWS_ENDPOINT_URL_DYNAMODB, the running local stack, http://localhost:8000).',
      helpGroup: 'TARGET',
    }),
    table: Flags.string({
      description: 'Table name (default: DDB_MESSAGE_TABLE, else cruddur-messages).',
      helpGroup: 'TARGET',
    }),
    region: Flags.string({
      description:
        'AWS region. With --prod: else AWS_REGION, AWS_DEFAULT_REGION, then the region of the ' +
        'profile (never guessed). Locally: us-east-1.',
      helpGroup: 'TARGET',
    }),
    profile: Flags.string({description: 'AWS profile for --prod.', helpGroup: 'TARGET'}),
    'database-url': Flags.string({
      description:
        'PostgreSQL URL (default: CONNECTION_URL, or PROD_CONNECTION_URL with --prod, the running local stack).',
      helpGroup: 'TARGET',
    }),
    yes: Flags.boolean({
      char: 'y',
      description: 'Answer yes to confirmations (needed for destructive work on --prod without a terminal).',
      helpGroup: 'TARGET',
    }),
    'consumed-capacity': Flags.boolean({
      description:
        'Ask DynamoDB what each request consumed and print the read and write units per table and ' +
        'index at the end (stderr; consumedCapacity in --json).',
      helpGroup: 'TARGET',
    }),
  }

  private announced = new Set<string>()
  /** One yes covers the whole command: `ddb setup` asks once for the schema and the seed. */
  private confirmed = false
  private dynamoDbClients?: DynamoDbClients
  private capacityMeter?: CapacityMeter
  private pgPool?: Pool
  private openedPatternCache?: Promise<CacheStore | undefined>
  private cachedDynamoDbTarget?: DynamoDbTarget
  private cachedPostgresTarget?: PostgresTarget

  protected get targetFlags(): TargetFlags {
    return this.flags as TargetFlags
  }

  protected get dynamoDbTarget(): DynamoDbTarget {
    if (!this.cachedDynamoDbTarget) {
      // A command's TABLE argument, where it has one, wins over --table.
      const tableArgument = (this.args as {table?: string} | undefined)?.table
      const flags = tableArgument ? {...this.targetFlags, table: tableArgument} : this.targetFlags
      this.cachedDynamoDbTarget = resolveDynamoDbTarget(flags, process.env, this.localStack)
    }

    return this.cachedDynamoDbTarget
  }

  protected get postgresTarget(): PostgresTarget {
    if (!this.cachedPostgresTarget) {
      this.cachedPostgresTarget = resolvePostgresTarget(this.targetFlags, process.env, this.localStack)
    }

    return this.cachedPostgresTarget
  }

  protected override errorContext(): ErrorContext {
    const context = super.errorContext()
    if (this.cachedDynamoDbTarget) context.dynamodb = this.cachedDynamoDbTarget
    if (this.cachedPostgresTarget) context.postgres = this.cachedPostgresTarget
    return context
  }

  /** The DynamoDB clients for the target, announcing the target the first time. */
  protected async dynamodb(): Promise<DynamoDbClients> {
    if (!this.dynamoDbClients) {
      const target = this.dynamoDbTarget
      this.announceDynamoDb()
      const {createDynamoDbClients} = await import('./lib/dynamodb/client.js')
      this.dynamoDbClients = createDynamoDbClients(target)
      if (this.flags['consumed-capacity']) {
        const {CapacityMeter} = await import('./lib/dynamodb/consumed-capacity.js')
        this.capacityMeter = new CapacityMeter()
        this.capacityMeter.install(this.dynamoDbClients.client)
        this.capacityMeter.install(this.dynamoDbClients.queryClient)
      }
    }

    return this.dynamoDbClients
  }

  /** The target's messages table over the same clients (the patterns, seed, doctor and stream take it). */
  protected async messagesTable(): Promise<MessagesTable> {
    const {client, doc, queryClient} = await this.dynamodb()
    const {MessagesTable} = await import('./lib/dynamodb/messages-table.js')
    return new MessagesTable({client, doc, name: this.dynamoDbTarget.table, queryClient})
  }

  /**
   * The read patterns' cache when `--cache` (else MOMENTO_CACHE_NAME) asks for one, else undefined: the
   * cache the patterns read through and the write commands refresh, opened once.
   */
  protected async patternCache(): Promise<CacheStore | undefined> {
    const {cache: flag, prod} = this.flags as {cache?: boolean; prod?: boolean}
    this.openedPatternCache ??= import('./lib/momento/pattern-cache.js').then(({openPatternCache}) =>
      openPatternCache({flag, localStack: this.localStack, prod}),
    )
    return this.openedPatternCache
  }

  /** The PostgreSQL pool for the target, announcing the target the first time. */
  protected async postgres(): Promise<Pool> {
    if (!this.pgPool) {
      const target = this.postgresTarget
      this.announcePostgres()
      const {createPool} = await import('./lib/postgres/pool.js')
      this.pgPool = createPool(target.url)
    }

    return this.pgPool
  }

  /** Says where the command works, once per target, before anything is read or written. */
  protected announce(where: string, details: {debug?: string; notes?: string[]} = {}): void {
    if (this.announced.has(where)) return
    this.announced.add(where)
    for (const note of details.notes ?? []) this.info(chalk.yellow(`note: ${note}`))
    if (details.debug) this.debugLog(details.debug)
    const shown = visible(where)
    this.info(chalk.dim('→ ') + (where.startsWith('prod') ? chalk.red.bold(shown) : chalk.cyan(shown)))
  }

  /** Announces the DynamoDB target, with the endpoint settings --prod passed over to reach it. */
  protected announceDynamoDb(): void {
    const target = this.dynamoDbTarget
    this.announce(describeDynamoDbTarget(target), {
      debug: `DynamoDB target from ${target.source}`,
      notes: target.ignoredEnv.map((name) => `--prod ignores ${name}`),
    })
  }

  protected announcePostgres(): void {
    const target = this.postgresTarget
    this.announce(`postgres ${describePostgresTarget(target)}`, {debug: `PostgreSQL target from ${target.source}`})
  }

  /**
   * Destructive work on production asks first. Without a terminal it needs --yes, so CI never
   * destroys anything by accident. Local targets never ask, unless `always` (work that cannot be undone anywhere).
   */
  protected async confirmProd(
    action: string,
    target: DynamoDbTarget | PostgresTarget | {kind: 'local' | 'prod'},
    options: {always?: boolean} = {},
  ): Promise<void> {
    if ((target.kind !== 'prod' && !options.always) || this.confirmed) return
    // Show what would be touched before asking (or refusing).
    if ('table' in target) this.announceDynamoDb()
    else if ('url' in target) this.announcePostgres()
    const onProd = target.kind === 'prod'
    await this.confirm(
      `${onProd ? chalk.red.bold('Production:') : chalk.yellow.bold('Confirm:')} ${visible(action)}?`,
      {
        notConfirmed: `Not confirmed, nothing was changed: answer "yes" (or pass --yes) to ${action}.`,
        noTerminal:
          `Refusing to ${action}${onProd ? ' on production' : ''} without confirmation: ` + `pass --yes to confirm.`,
      },
    )
    this.confirmed = true
  }

  /**
   * Asks the person at the terminal to type "yes"; --yes answers for them. Without a terminal (CI, a
   * pipe) there is nobody to ask, so it refuses with `noTerminal` rather than guessing.
   */
  protected async confirm(question: string, refusals: {noTerminal: string; notConfirmed: string}): Promise<void> {
    if (this.flags.yes) return
    if (!process.stdin.isTTY || !process.stderr.isTTY)
      throw new CruddurError('CONFIRMATION_REQUIRED', refusals.noTerminal)
    const prompt = createInterface({input: process.stdin, output: process.stderr})
    // Ctrl-C and Ctrl-D are a "no" like any other answer: nothing changed, exit 7, not a crash.
    const aborted = new AbortController()
    prompt.once('SIGINT', () => aborted.abort())
    prompt.once('close', () => aborted.abort())
    try {
      const answer = await prompt
        .question(`${question} Type "yes" to continue: `, {signal: aborted.signal})
        .catch(() => undefined)
      if (answer?.trim().toLowerCase() !== 'yes') {
        throw new CruddurError('CONFIRMATION_REQUIRED', refusals.notConfirmed)
      }
    } finally {
      prompt.close()
    }
  }

  protected override toSuccessJson(result: unknown): unknown {
    if (!this.capacityMeter || typeof result !== 'object' || result === null) return result
    return {...result, consumedCapacity: this.capacityMeter.totals}
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    if (this.capacityMeter) for (const line of this.capacityMeter.describe()) this.info(chalk.dim(line))
    // A cache that never answers keeps its gRPC channel (and the process) alive for minutes after the result.
    const {closeCacheClients} = await import('./lib/momento/cache-aside.js')
    closeCacheClients()
    this.dynamoDbClients?.client.destroy()
    this.dynamoDbClients?.queryClient.destroy()
    await this.pgPool?.end().catch(() => {})
    return super.finally(error)
  }
}

import chalk from 'chalk'

import {TargetCommand} from '../../target-command.js'
import {CruddurError} from '../../lib/errors.js'
import {ProgressBar} from '../../lib/progress.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../lib/targets/dynamodb.js'
import {seedFlags} from '../../seed-flags.js'
import {seedFromUsers, type SeedFromUsersResult} from '../../lib/dynamodb/seed-from-users.js'

/** What `ddb seed --json` prints. */
export interface DdbSeedResult extends SeedFromUsersResult {
  target: DynamoDbTargetJson
}

export default class Seed extends TargetCommand<typeof Seed> {
  static override description =
    `Write realistic conversations between the users in PostgreSQL.

Each conversation gets its messages (the newest at --now, never in the future) and its two ` +
    `conversation rows holding the last message. Writes go 25 items a BatchWriteItem, several ` +
    `in flight; throttling, 500s, dropped connections and unprocessed items are retried with ` +
    `backoff for up to CRUDDUR_RETRY_TIMEOUT seconds without progress (then exit 6, saying how ` +
    `much was written). The same --seed gives the same data. Seeding resumes: a conversation ` +
    `already complete is skipped, one an interrupted run left half-written is completed at that ` +
    `run's times (even without --now), so seeding twice adds nothing.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --conversations 3 --messages 50 --seed 42',
    '<%= config.bin %> <%= command.id %> --handles andrewbrown,bayko',
  ]

  static override flags = seedFlags

  async run(): Promise<DdbSeedResult> {
    return this.seed()
  }

  /** Seeds the target table from the target database; `ddb setup` calls it after loading the schema. */
  protected async seed(): Promise<DdbSeedResult> {
    const target = this.dynamoDbTarget
    const flags = this.flags as typeof this.flags & {[K in keyof typeof seedFlags]: Seed['flags'][K]}
    const now = parseNow(flags.now)
    await this.confirmProd(`write seed data into table ${target.table}`, target)
    const pool = await this.postgres()
    const table = await this.messagesTable()
    let progress: ProgressBar | undefined
    const result = await seedFromUsers(pool, table, {
      conversations: flags.conversations,
      handles: flags.handles,
      messagesPerConversation: flags.messages,
      now,
      onPlanned: (items) => (progress = new ProgressBar('seeding', items, {enabled: !this.jsonEnabled()})),
      seed: flags.seed,
      write: {concurrency: flags.concurrency, onWritten: (count) => progress?.tick(count)},
    })
    progress?.stop()
    const notes = [
      result.completedConversations
        ? `${result.completedConversations} completed from an interrupted run at ${result.now}`
        : '',
      result.skippedConversations ? `${result.skippedConversations} already there, skipped` : '',
    ].filter(Boolean)
    const skipped = notes.length > 0 ? chalk.dim(` (${notes.join('; ')})`) : ''
    this.log(
      `Seeded ${result.conversations} conversations between ${result.users} users: ` +
        `${result.itemsWritten} items in ${result.seconds.toFixed(2)}s (${result.itemsPerSecond} ` +
        `items/s)${skipped}.`,
    )
    return {...result, target: dynamoDbTargetJson(target)}
  }
}

export function parseNow(value: string | undefined): Date | undefined {
  if (!value) return undefined
  const date = new Date(value)
  if (Number.isNaN(date.getTime()))
    throw new CruddurError(
      'INVALID_INPUT',
      `--now "${value}" is not a date: use ISO-8601, e.g. 2026-11-24T15:49:00.000Z.`,
    )
  if (date.getTime() > Date.now())
    throw new CruddurError(
      'INVALID_INPUT',
      `--now ${value} is in the future: seeded messages must be older than the next real one.`,
    )
  return date
}

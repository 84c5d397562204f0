import {Flags} from '@oclif/core'

import {TargetCommand} from '../../target-command.js'
import {pageFlags} from '../../page-flags.js'
import {CruddurError} from '../../lib/errors.js'
import {renderTable} from '../../output.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../lib/targets/dynamodb.js'
import {queryPage, type SortKeyCondition} from '../../lib/dynamodb/lookup.js'
import {plainItem} from '../../lib/dynamodb/typed-json.js'

const SORT_KEY_FLAGS = ['sk-begins-with', 'sk-between', 'sk-after', 'sk-before']
const others = (flag: string) => SORT_KEY_FLAGS.filter((name) => name !== flag)

/** What `ddb query --json` prints. */
export interface DdbQueryResult {
  count: number
  /** Plain JSON, as `--output ndjson` prints them. */
  items: Array<Record<string, unknown>>
  /** The cursor of the next page; null on the last. */
  nextCursor: string | null
  target: DynamoDbTargetJson
}

export default class Query extends TargetCommand<typeof Query> {
  static override description =
    `Read one partition a page at a time (read-only), in sort-key order.

--pk is the partition key's value (on --index message-group-sk-index: a ` +
    `message_group_uuid). One sort-key condition at most. When more items follow, the cursor of ` +
    `the next page is printed on stderr (the same opaque cursor as the patterns).`

  static override examples = [
    "<%= config.bin %> <%= command.id %> --pk 'MSG#5ae290ed-55d1-47a0-bc6d-fe2bc2700399' --descending --limit 5",
    "<%= config.bin %> <%= command.id %> --pk 'GRP#b6d9a7e1-8f3e-4a5c-9c3e-0a1b2c3d4e5f' --sk-after 2026-11-01",
    '<%= config.bin %> <%= command.id %> --index message-group-sk-index --pk ' +
      '5ae290ed-55d1-47a0-bc6d-fe2bc2700399 --output ndjson',
  ]

  static override flags = {
    pk: Flags.string({description: 'The partition key value.', required: true}),
    'sk-begins-with': Flags.string({
      description: 'Sort keys that start with this.',
      exclusive: others('sk-begins-with'),
    }),
    'sk-between': Flags.string({
      description: 'Sort keys from A to B, both included: --sk-between A B.',
      exclusive: others('sk-between'),
      multiple: true,
    }),
    'sk-after': Flags.string({description: 'Sort keys after this (excluded).', exclusive: others('sk-after')}),
    'sk-before': Flags.string({description: 'Sort keys before this (excluded).', exclusive: others('sk-before')}),
    index: Flags.string({description: 'Query the index instead of the table (message-group-sk-index).'}),
    descending: Flags.boolean({description: 'Highest sort key first.'}),
    consistent: Flags.boolean({description: 'Strongly consistent read (table only).'}),
    ...pageFlags('Items per page.'),
    output: Flags.option({
      default: 'table' as const,
      description: 'A table for people, or one JSON item per line.',
      options: ['table', 'ndjson'] as const,
    })(),
  }

  async run(): Promise<DdbQueryResult> {
    const target = this.dynamoDbTarget
    const sortKey = this.sortKeyCondition()
    const table = await this.messagesTable()
    const page = await queryPage(table, {
      consistent: this.flags.consistent,
      cursor: this.flags.cursor,
      descending: this.flags.descending,
      index: this.flags.index,
      limit: this.flags.limit,
      partition: this.flags.pk,
      sortKey,
    })
    const items = page.items.map((item) => plainItem(item))
    if (this.flags.output === 'ndjson') for (const item of items) this.log(JSON.stringify(item))
    else if (items.length > 0)
      this.log(
        renderTable(
          ['pk', 'sk', 'user_handle', 'message'],
          items.map((item) => [item.pk, item.sk, item.user_handle, item.message] as Array<string | undefined>),
        ),
      )
    else this.info('No items.')
    if (page.nextCursor) this.info(`more: --cursor ${page.nextCursor}`)
    return {count: items.length, items, nextCursor: page.nextCursor, target: dynamoDbTargetJson(target)}
  }

  private sortKeyCondition(): SortKeyCondition | undefined {
    const flags = this.flags
    const between = flags['sk-between']
    if (between !== undefined) {
      if (between.length !== 2)
        throw new CruddurError(
          'INVALID_INPUT',
          `--sk-between takes two sort keys, got ${between.length}: pass --sk-between FROM TO.`,
        )
      return {between: [between[0], between[1]]}
    }

    if (flags['sk-begins-with'] !== undefined) return {beginsWith: flags['sk-begins-with']}
    if (flags['sk-after'] !== undefined) return {after: flags['sk-after']}
    if (flags['sk-before'] !== undefined) return {before: flags['sk-before']}
    return undefined
  }
}

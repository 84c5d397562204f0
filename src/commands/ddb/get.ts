import {Args, Flags} from '@oclif/core'

import {TargetCommand} from '../../target-command.js'
import {CruddurError} from '../../lib/errors.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../lib/targets/dynamodb.js'
import {getItem} from '../../lib/dynamodb/lookup.js'
import {formatItem, plainItem} from '../../lib/dynamodb/typed-json.js'

/** What `ddb get --json` prints. */
export interface DdbGetResult {
  /** Plain JSON, or with --format dynamodb-json the item in DynamoDB's typed JSON. */
  item: Record<string, unknown>
  target: DynamoDbTargetJson
}

export default class Get extends TargetCommand<typeof Get> {
  static override description =
    `Print one item by its keys (read-only): a conversation ` +
    `marker, a conversation row, a message.

Plain JSON by default; --format dynamodb-json prints it in DynamoDB's typed JSON, every ` +
    `type exact. A missing item is exit 4.`

  static override examples = [
    "<%= config.bin %> <%= command.id %> 'CONV#5ae290ed-55d1-47a0-bc6d-fe2bc2700399' CONV",
    "<%= config.bin %> <%= command.id %> 'MSG#5ae290ed-55d1-47a0-bc6d-fe2bc2700399' " +
      '2026-11-29T11:51:56.529847+00:00 --format dynamodb-json',
  ]

  static override args = {
    pk: Args.string({description: 'The partition key, e.g. MSG#<message_group_uuid>.', name: 'PK', required: true}),
    sk: Args.string({description: 'The sort key.', name: 'SK', required: true}),
  }

  static override flags = {
    format: Flags.option({
      default: 'ndjson' as const,
      description: 'Plain JSON, or DynamoDB typed JSON.',
      options: ['ndjson', 'dynamodb-json'] as const,
    })(),
    consistent: Flags.boolean({description: 'Strongly consistent read (twice the read units).'}),
  }

  async run(): Promise<DdbGetResult> {
    const target = this.dynamoDbTarget
    const table = await this.messagesTable()
    const item = await getItem(table, {pk: this.args.pk, sk: this.args.sk}, {consistent: this.flags.consistent})
    if (!item)
      throw new CruddurError(
        'NOT_FOUND',
        `No item with pk "${this.args.pk}" and sk "${this.args.sk}" in ${target.table}`,
        {actions: [`check the keys with \`cruddur ddb query --pk '${this.args.pk}'\``]},
      )
    this.log(formatItem(item, this.flags.format))
    return {
      item:
        this.flags.format === 'dynamodb-json' ? JSON.parse(formatItem(item, 'dynamodb-json')).Item : plainItem(item),
      target: dynamoDbTargetJson(target),
    }
  }
}

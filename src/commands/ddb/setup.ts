import {seedFlags} from '../../seed-flags.js'
import Seed, {type DdbSeedResult, parseNow} from './seed.js'
import {loadTableSchema} from '../../lib/dynamodb/table-admin.js'

/** What `ddb setup --json` prints. */
export interface DdbSetupResult extends DdbSeedResult {
  /** false when the table existed already. */
  tableCreated: boolean
}

export default class Setup extends Seed {
  static override description = `Create the messages table if needed, then seed it (schema-load, then seed).

Idempotent: running it twice leaves the same items as running it once.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --conversations 3 --messages 10',
  ]

  static override flags = seedFlags

  override async run(): Promise<DdbSetupResult> {
    const target = this.dynamoDbTarget
    parseNow(this.flags.now) // a bad --now is refused before anything is created
    // Asked before the first request: on production nothing is created until someone says yes.
    await this.confirmProd(`create table ${target.table} if it is missing and write seed data into it`, target)
    const {client} = await this.dynamodb()
    const schema = await loadTableSchema(client, {tableName: target.table})
    this.log(schema.created ? `Created table ${target.table}.` : `Table ${target.table} already exists.`)
    const seeded = await this.seed()
    return {...seeded, tableCreated: schema.created}
  }
}

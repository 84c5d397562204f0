import {cacheKeyArgument, MomentoCommand} from '../../momento-command.js'
import {momentoTargetJson, type MomentoTargetJson} from '../../lib/targets/momento.js'
import {momentoCacheStore} from '../../lib/momento/client.js'

/** What `momento delete --json` prints. */
export interface MomentoDeleteResult {
  /** true also when the key was not there. */
  deleted: boolean
  key: string
  target: MomentoTargetJson
}

export default class MomentoDelete extends MomentoCommand<typeof MomentoDelete> {
  static override description =
    'Delete one cached value, so the next read of it goes to DynamoDB. Deleting a key that is not there is fine.'

  static override args = {
    key: cacheKeyArgument,
  }

  static override examples = [
    '<%= config.bin %> <%= command.id %> conversations:5ae290ed-55d1-47a0-bc6d-fe2bc2700399:first-page',
    '<%= config.bin %> <%= command.id %> messages:5ae290ed-55d1-47a0-bc6d-fe2bc2700399:first-page --prod',
  ]

  async run(): Promise<MomentoDeleteResult> {
    await this.momento()
    await momentoCacheStore(this.momentoTarget).delete(this.args.key)
    this.log(`deleted ${this.args.key}`)
    return {deleted: true, key: this.args.key, target: momentoTargetJson(this.momentoTarget)}
  }
}

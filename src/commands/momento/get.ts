import {cacheKeyArgument, MomentoCommand} from '../../momento-command.js'
import {momentoTargetJson, type MomentoTargetJson} from '../../lib/targets/momento.js'
import {visible} from '../../lib/terminal-text.js'
import {momentoCacheStore} from '../../lib/momento/client.js'

/** What `momento get --json` prints. */
export interface MomentoGetResult {
  hit: boolean
  key: string
  target: MomentoTargetJson
  /** The cached JSON document (a string when it is not JSON); null on a miss. */
  value: unknown
}

export default class MomentoGet extends MomentoCommand<typeof MomentoGet> {
  static override description =
    `Print one cached value, for debugging: the read patterns cache their first pages under
conversations:<user_uuid>:first-page and messages:<message_group_uuid>:first-page. A miss ` +
    `prints nothing (hit: false in --json).`

  static override args = {
    key: cacheKeyArgument,
  }

  static override examples = [
    '<%= config.bin %> <%= command.id %> conversations:5ae290ed-55d1-47a0-bc6d-fe2bc2700399:first-page',
    '<%= config.bin %> <%= command.id %> messages:5ae290ed-55d1-47a0-bc6d-fe2bc2700399:first-page --json | jq .value',
  ]

  async run(): Promise<MomentoGetResult> {
    await this.momento()
    const value = await momentoCacheStore(this.momentoTarget).get(this.args.key)
    if (value === undefined) this.info('(miss)')
    else this.log(visible(value))
    return {
      hit: value !== undefined,
      key: this.args.key,
      target: momentoTargetJson(this.momentoTarget),
      value: value === undefined ? null : parseIfJson(value),
    }
  }
}

/** Cached values are JSON documents; --json shows them as such rather than as one escaped string. */
function parseIfJson(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

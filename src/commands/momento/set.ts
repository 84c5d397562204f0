import {Args, Flags} from '@oclif/core'

import {cacheKeyArgument, MomentoCommand} from '../../momento-command.js'
import {momentoTargetJson, type MomentoTargetJson} from '../../lib/targets/momento.js'
import {momentoCacheStore} from '../../lib/momento/client.js'

/** What `momento set --json` prints. */
export interface MomentoSetResult {
  key: string
  target: MomentoTargetJson
  ttlSeconds: number
}

export default class MomentoSet extends MomentoCommand<typeof MomentoSet> {
  static override description =
    `Store one value, for debugging: for instance a page under a ` +
    `read pattern's key, to see what a reader does with it. The TTL defaults to the cache's ` +
    `(MOMENTO_TTL_SECONDS, else 600 s).`

  static override args = {
    key: cacheKeyArgument,
    value: Args.string({description: 'The value (stored as given).', required: true}),
  }

  static override flags = {
    ttl: Flags.integer({description: 'Seconds until the value expires.', helpValue: 'S', min: 1}),
  }

  static override examples = [
    '<%= config.bin %> <%= command.id %> greeting hello --ttl 60',
    `<%= config.bin %> <%= command.id %> ` +
      `conversations:5ae290ed-55d1-47a0-bc6d-fe2bc2700399:first-page ` +
      `'{"conversations":[],"nextCursor":null}'`,
  ]

  async run(): Promise<MomentoSetResult> {
    await this.momento()
    const ttlSeconds = this.flags.ttl ?? this.momentoTarget.ttlSeconds
    await momentoCacheStore(this.momentoTarget).set(this.args.key, this.args.value, ttlSeconds)
    this.log(`set ${this.args.key} (expires in ${ttlSeconds} s)`)
    return {key: this.args.key, target: momentoTargetJson(this.momentoTarget), ttlSeconds}
  }
}

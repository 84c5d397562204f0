import {MomentoCommand} from '../../momento-command.js'
import {momentoTargetJson, type MomentoTargetJson} from '../../lib/targets/momento.js'
import {flushCache} from '../../lib/momento/client.js'

/** What `momento flush --json` prints. */
export interface MomentoFlushResult {
  cache: string
  flushed: boolean
  target: MomentoTargetJson
}

export default class MomentoFlush extends MomentoCommand<typeof MomentoFlush> {
  static override description =
    `Empty the cache: every cached value goes, the cache stays. ` +
    `Asks first on a terminal, on any target; without one it needs --yes.

The next read of each page goes to DynamoDB and caches it again.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --cache cruddur-test --yes',
    '<%= config.bin %> <%= command.id %> --prod --yes',
  ]

  async run(): Promise<MomentoFlushResult> {
    const target = this.momentoTarget
    this.announceMomento()
    await this.confirmProd(`empty cache ${target.cacheName}`, target, {always: true})
    const client = await this.momento()
    await flushCache(client, target.cacheName)
    this.log(`flushed cache ${target.cacheName}`)
    return {cache: target.cacheName, flushed: true, target: momentoTargetJson(target)}
  }
}

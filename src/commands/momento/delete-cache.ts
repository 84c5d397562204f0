import {MomentoCommand} from '../../momento-command.js'
import {momentoTargetJson, type MomentoTargetJson} from '../../lib/targets/momento.js'
import {deleteCache} from '../../lib/momento/client.js'

/** What `momento delete-cache --json` prints. */
export interface MomentoDeleteCacheResult {
  cache: string
  deleted: boolean
  target: MomentoTargetJson
}

export default class MomentoDeleteCache extends MomentoCommand<typeof MomentoDeleteCache> {
  static override description =
    `Delete the cache and everything in it. Asks first on a ` +
    `terminal, on any target; without one it needs --yes.

Reads fall back to DynamoDB while the cache is missing, so nothing breaks; \`create-cache\` brings it back empty.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --cache cruddur-test',
    '<%= config.bin %> <%= command.id %> --cache cruddur-test --yes',
    '<%= config.bin %> <%= command.id %> --prod --cache cruddur --yes',
  ]

  async run(): Promise<MomentoDeleteCacheResult> {
    const target = this.momentoTarget
    this.announceMomento()
    await this.confirmProd(`delete cache ${target.cacheName} and everything in it`, target, {always: true})
    const client = await this.momento()
    await deleteCache(client, target.cacheName)
    this.log(`deleted cache ${target.cacheName}`)
    return {cache: target.cacheName, deleted: true, target: momentoTargetJson(target)}
  }
}

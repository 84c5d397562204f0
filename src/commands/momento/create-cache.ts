import {MomentoCommand} from '../../momento-command.js'
import {momentoTargetJson, type MomentoTargetJson} from '../../lib/targets/momento.js'
import {createCache, type CreateCacheResult} from '../../lib/momento/client.js'

/** What `momento create-cache --json` prints. */
export interface MomentoCreateCacheResult extends CreateCacheResult {
  target: MomentoTargetJson
}

export default class MomentoCreateCache extends MomentoCommand<typeof MomentoCreateCache> {
  static override description =
    `Create the cache (--cache, else MOMENTO_CACHE_NAME, else ` +
    `cruddur). A cache that exists already is fine.

Locally this is the stand-in that \`cruddur local start\` runs (it starts with a cruddur ` +
    `cache); with --prod it is Momento itself, with the key in MOMENTO_API_KEY (or ` +
    `MOMENTO_AUTH_TOKEN).`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --cache cruddur-test',
    'MOMENTO_API_KEY=… <%= config.bin %> <%= command.id %> --prod --cache cruddur',
  ]

  async run(): Promise<MomentoCreateCacheResult> {
    const client = await this.momento()
    const result = await createCache(client, this.momentoTarget.cacheName)
    this.log(result.created ? `created cache ${result.cache}` : `cache ${result.cache} exists already`)
    return {...result, target: momentoTargetJson(this.momentoTarget)}
  }
}

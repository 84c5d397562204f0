import {MomentoCommand} from '../../momento-command.js'
import {momentoTargetJson, type MomentoTargetJson} from '../../lib/targets/momento.js'
import {listCaches} from '../../lib/momento/client.js'

/** What `momento list-caches --json` prints. */
export interface MomentoListCachesResult {
  caches: string[]
  target: MomentoTargetJson
}

export default class MomentoListCaches extends MomentoCommand<typeof MomentoListCaches> {
  static override description = 'List the caches on the target: the local stand-in, or Momento itself with --prod.'

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --prod',
    '<%= config.bin %> <%= command.id %> --json | jq -r ".caches[]"',
  ]

  async run(): Promise<MomentoListCachesResult> {
    const client = await this.momento()
    const caches = await listCaches(client)
    for (const cache of caches) this.log(cache)
    if (caches.length === 0) this.info('(no caches)')
    return {caches, target: momentoTargetJson(this.momentoTarget)}
  }
}

import {Args} from '@oclif/core'

import {TargetCommand} from '../../../target-command.js'
import {refreshCacheFlag} from '../../../cache-flags.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../../lib/targets/dynamodb.js'
import {
  deleteConversation,
  type DeleteConversationResult as DeletedConversation,
} from '../../../lib/dynamodb/patterns/delete-conversation.js'
import {requireUuid} from '../../../lib/dynamodb/patterns/input.js'
import {refreshAfterWrite} from '../../../lib/momento/pattern-cache.js'

/** What `ddb patterns delete-conversation --json` prints (the participants serve the cache refresh only). */
export interface DeleteConversationResult extends Omit<DeletedConversation, 'participantUuids'> {
  target: DynamoDbTargetJson
}

export default class DeleteConversation extends TargetCommand<typeof DeleteConversation> {
  static override description =
    `Delete a whole conversation: every message, both ` +
    `participants' conversation rows and its marker.

The messages go first, the rows and the marker last (in one transaction), so an ` +
    `interrupted run leaves the conversation listed: run the command again and it finishes.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 5ae290ed-55d1-47a0-bc6d-fe2bc2700399',
    '<%= config.bin %> <%= command.id %> 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 --prod --yes --json',
  ]

  static override args = {
    messageGroupUuid: Args.string({
      description: 'The conversation (its message_group_uuid).',
      name: 'MESSAGE_GROUP_UUID',
      required: true,
    }),
  }

  static override flags = {
    cache: refreshCacheFlag,
  }

  async run(): Promise<DeleteConversationResult> {
    const group = requireUuid(this.args.messageGroupUuid, 'The conversation id')
    const target = this.dynamoDbTarget
    await this.confirmProd(`delete conversation ${group} (every message, both rows) in table ${target.table}`, target)
    const table = await this.messagesTable()
    const {participantUuids, ...result} = await deleteConversation(table, group)
    await refreshAfterWrite(await this.patternCache(), table, [{messageGroupUuid: group, participantUuids}])
    this.log(
      `Deleted conversation ${group}: ${result.messagesDeleted} ` +
        `message${result.messagesDeleted === 1 ? '' : 's'}, ${result.rowsDeleted} conversation ` +
        `row${result.rowsDeleted === 1 ? '' : 's'}${result.markerDeleted ? ' and its marker' : ''}.`,
    )
    return {...result, target: dynamoDbTargetJson(target)}
  }
}

import {Args} from '@oclif/core'

import {TargetCommand} from '../../../target-command.js'
import {renderTable} from '../../../output.js'
import {type Conversation, type Message, shownText} from '../../../lib/dynamodb/patterns/views.js'
import {refreshCacheFlag} from '../../../cache-flags.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../../lib/targets/dynamodb.js'
import {
  conversationFromRow,
  ownerUuidOf,
  requireUuid,
  updateMessageGroup,
} from '../../../lib/dynamodb/patterns/index.js'
import {refreshAfterWrite} from '../../../lib/momento/pattern-cache.js'

/** What `ddb patterns update-message-group --json` prints. */
export interface UpdateMessageGroupResult {
  /** Both rows as they are now, each with the uuid of the participant it belongs to. */
  conversations: Array<Conversation & {owner: string}>
  lastMessage: Message
  messageGroupUuid: string
  /** Extra rows of an owner that were deleted. */
  removed: number
  target: DynamoDbTargetJson
  /** Rows moved to the newest message. */
  updated: number
}

export default class UpdateMessageGroup extends TargetCommand<typeof UpdateMessageGroup> {
  static override description =
    `Bring both participants' conversation rows up to the ` +
    `conversation's newest message (Pattern D).

The stream handler does this for every new message; this command is the repair for rows ` +
    `left stale, for instance after a stream outage longer than the stream's 24-hour retention. ` +
    `It is safe to run any time: a row that already shows the newest message is left alone, and ` +
    `a concurrent update is never undone.`

  static override examples = ['<%= config.bin %> <%= command.id %> 5ae290ed-55d1-47a0-bc6d-fe2bc2700399']

  static override flags = {
    cache: refreshCacheFlag,
  }

  static override args = {
    messageGroupUuid: Args.string({
      description: 'The conversation (its message_group_uuid).',
      name: 'MESSAGE_GROUP_UUID',
      required: true,
    }),
  }

  async run(): Promise<UpdateMessageGroupResult> {
    const group = requireUuid(this.args.messageGroupUuid, 'The conversation id')
    const target = this.dynamoDbTarget
    await this.confirmProd(`update the conversation rows of ${group} in table ${target.table}`, target)
    const table = await this.messagesTable()
    const result = await updateMessageGroup(table, group)
    await refreshAfterWrite(await this.patternCache(), table, [
      {messageGroupUuid: group, participantUuids: result.rows.map((row) => row.user_uuid)},
    ])
    const conversations = result.rows.map((row) => ({owner: ownerUuidOf(row), ...conversationFromRow(row)}))
    this.log(
      renderTable(
        ['row of', 'with', 'last message at', 'last message'],
        conversations.map((c) => [
          `@${conversations.find((o) => o.with.uuid === c.owner)?.with.handle ?? c.owner}`,
          `@${c.with.handle}`,
          c.lastMessageAt,
          shownText(c.lastMessage),
        ]),
      ),
    )
    const extras = result.removed > 0 ? `; deleted ${result.removed} extra row(s)` : ''
    this.info(
      result.updated === 0 && result.removed === 0
        ? 'Both rows already showed the newest message: nothing changed.'
        : `Updated ${result.updated} of ${result.rows.length} rows${extras}.`,
    )
    return {
      conversations,
      lastMessage: result.lastMessage,
      messageGroupUuid: result.messageGroupUuid,
      removed: result.removed,
      target: dynamoDbTargetJson(target),
      updated: result.updated,
    }
  }
}

import {Args, Flags} from '@oclif/core'

import {TargetCommand} from '../../../target-command.js'
import {refreshCacheFlag} from '../../../cache-flags.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../../lib/targets/dynamodb.js'
import {
  deleteMessage,
  type DeleteMessageResult as DeletedMessage,
} from '../../../lib/dynamodb/patterns/delete-message.js'
import {requireUuid} from '../../../lib/dynamodb/patterns/input.js'
import {requireUserByHandle} from '../../../lib/postgres/users.js'
import {refreshAfterWrite} from '../../../lib/momento/pattern-cache.js'

/** What `ddb patterns delete-message --json` prints (the participants serve the cache refresh only). */
export interface DeleteMessageResult extends Omit<DeletedMessage, 'participantUuids'> {
  target: DynamoDbTargetJson
}

export default class DeleteMessage extends TargetCommand<typeof DeleteMessage> {
  static override description =
    `Delete one message of a conversation.

By default the message becomes a tombstone: its text is replaced by "(message deleted)" ` +
    `(the Cruddur app reads a text on every message) and deleted_at set, it keeps its place, ` +
    `and reads show it as deleted (--json: deleted: true, no text). --hard removes the item. ` +
    `If it was the conversation's newest message, both participants' ` +
    `conversation rows follow: soft, they show the deleted state instead of the text; hard, ` +
    `they move back to the newest remaining message (or, when none remains, the conversation's ` +
    `rows and marker are removed). Each change is one conditional transaction: a message sent ` +
    `meanwhile wins, and deleting twice changes nothing the second time.

--as deletes on behalf of a user, who must be the sender; without it you delete as an operator.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 0d5b7a0e-6f3b-4c47-9a7e-2f1e4c1f9b3a',
    '<%= config.bin %> <%= command.id %> 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 ' +
      '0d5b7a0e-6f3b-4c47-9a7e-2f1e4c1f9b3a --as andrewbrown',
    '<%= config.bin %> <%= command.id %> 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 ' +
      '0d5b7a0e-6f3b-4c47-9a7e-2f1e4c1f9b3a --hard --prod --yes',
  ]

  static override args = {
    messageGroupUuid: Args.string({
      description: 'The conversation (its message_group_uuid).',
      name: 'MESSAGE_GROUP_UUID',
      required: true,
    }),
    messageUuid: Args.string({
      description: 'The message (its message_uuid, from get-conversation --json).',
      name: 'MESSAGE_UUID',
      required: true,
    }),
  }

  static override flags = {
    as: Flags.string({
      description: 'Delete as this user (a handle): refused unless they sent the message.',
      helpValue: 'HANDLE',
    }),
    hard: Flags.boolean({description: 'Remove the message instead of leaving a tombstone.'}),
    cache: refreshCacheFlag,
  }

  async run(): Promise<DeleteMessageResult> {
    const group = requireUuid(this.args.messageGroupUuid, 'The conversation id')
    const messageUuid = requireUuid(this.args.messageUuid, 'The message id')
    const target = this.dynamoDbTarget
    await this.confirmProd(
      `${this.flags.hard ? 'remove' : 'delete'} message ${messageUuid} of conversation ${group} ` +
        `in table ${target.table}`,
      target,
    )
    let asUser: {uuid: string; handle: string} | undefined
    if (this.flags.as !== undefined) {
      asUser = await requireUserByHandle(await this.postgres(), this.flags.as)
    }

    const table = await this.messagesTable()
    const {participantUuids, ...result} = await deleteMessage(table, {
      asUser,
      hard: this.flags.hard,
      messageGroupUuid: group,
      messageUuid,
    })
    await refreshAfterWrite(await this.patternCache(), table, [{messageGroupUuid: group, participantUuids}])
    if (result.alreadyDeleted) this.log(`Message ${messageUuid} was deleted already: nothing changed.`)
    else
      this.log(
        `${result.hard ? 'Removed' : 'Deleted'} message ${messageUuid} (sent by ` +
          `@${result.message.sender.handle})${result.hard ? '' : ': its text is gone, a tombstone keeps its place'}.`,
      )
    if (result.conversationRemoved)
      this.info('It was the last message: the conversation rows and marker were removed too.')
    else if (result.rowsUpdated > 0)
      this.info(
        `It was the newest message: ${result.rowsUpdated} conversation ` +
          `row${result.rowsUpdated === 1 ? '' : 's'} ` +
          `${result.hard ? 'moved back to the newest remaining message' : 'now show it as deleted'}.`,
      )
    return {...result, target: dynamoDbTargetJson(target)}
  }
}

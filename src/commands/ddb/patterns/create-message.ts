import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {TargetCommand} from '../../../target-command.js'
import {renderTable} from '../../../output.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../../lib/targets/dynamodb.js'
import {MAX_MESSAGE_LENGTH} from '../../../lib/dynamodb/patterns/input.js'
import {shownText} from '../../../lib/dynamodb/patterns/views.js'
import {refreshCacheFlag} from '../../../cache-flags.js'
import {
  createMessage,
  type CreateMessageResult as SentMessage,
  requireMessageText,
  requireOtherRecipient,
  requireUuid,
} from '../../../lib/dynamodb/patterns/index.js'
import {requireHandle, requireUsersByHandles} from '../../../lib/postgres/users.js'
import {refreshAfterWrite} from '../../../lib/momento/pattern-cache.js'

/** What `ddb patterns create-message --json` prints. */
export interface CreateMessageResult extends Omit<SentMessage, 'item'> {
  target: DynamoDbTargetJson
}

export default class CreateMessage extends TargetCommand<typeof CreateMessage> {
  static override description =
    `Send a message (Pattern C).

With --to it starts a conversation with that user (both conversation rows and the first ` +
    `message in one transaction), or adds to the one the two already have: starting twice never ` +
    `makes two. With --group it adds to an existing conversation the sender is in. The text is ` +
    `at most ${MAX_MESSAGE_LENGTH} characters. Everything is checked before anything is ` +
    `written; the conversation rows are then brought up to this message (Pattern D).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --from andrewbrown --to bayko "Are we still on for Friday?"',
    '<%= config.bin %> <%= command.id %> --from bayko --group ' +
      '5ae290ed-55d1-47a0-bc6d-fe2bc2700399 "Yes, see you then."',
    '<%= config.bin %> <%= command.id %> --from ci-bot --to andrewbrown --idempotency-key ' +
      '"deploy-$CI_PIPELINE_ID" "Deployed."',
  ]

  static override args = {
    text: Args.string({description: `The message (1–${MAX_MESSAGE_LENGTH} characters).`, name: 'TEXT', required: true}),
  }

  static override flags = {
    from: Flags.string({description: 'The sender (a handle).', helpValue: 'HANDLE', required: true}),
    // Declared on --to alone: on both, oclif would report a missing destination twice.
    to: Flags.string({
      description: 'The recipient (a handle): starts or continues your conversation with them.',
      exactlyOne: ['to', 'group'],
      helpValue: 'HANDLE',
    }),
    group: Flags.string({
      description: 'An existing conversation (its message_group_uuid) you are in.',
      helpValue: 'MESSAGE_GROUP_UUID',
    }),
    'idempotency-key': Flags.string({
      description:
        'Send at most once per sender and key: a retry with the same key writes nothing and ' +
        'returns the first message (duplicate: true).',
      helpValue: 'KEY',
    }),
    cache: refreshCacheFlag,
  }

  async run(): Promise<CreateMessageResult> {
    // What can be checked without a database is checked first.
    requireMessageText(this.args.text)
    const group = this.flags.group === undefined ? undefined : requireUuid(this.flags.group, 'The conversation id')
    const from = requireHandle(this.flags.from)
    const to = this.flags.to === undefined ? undefined : requireHandle(this.flags.to)
    if (to !== undefined) requireOtherRecipient({handle: from}, {handle: to})

    const target = this.dynamoDbTarget
    await this.confirmProd(`send a message as @${from} in table ${target.table}`, target)
    const users = await requireUsersByHandles(await this.postgres(), to === undefined ? [from] : [from, to])
    const participant = (handle: string) => {
      const user = users.get(handle.toLowerCase())!
      return {displayName: user.displayName, handle: user.handle, uuid: user.uuid}
    }

    const table = await this.messagesTable()
    const result = await createMessage(table, {
      messageGroupUuid: group,
      recipient: to === undefined ? undefined : participant(to),
      sender: participant(from),
      text: this.args.text,
      idempotencyKey: this.flags['idempotency-key'],
    })
    const {message} = result
    const participantUuids = [message.sender.uuid, ...(to === undefined ? [] : [participant(to).uuid])]
    await refreshAfterWrite(await this.patternCache(), table, [
      {messageGroupUuid: result.messageGroupUuid, participantUuids},
    ])
    this.log(
      renderTable(
        ['from', 'time', 'message', 'message_group_uuid'],
        [[`@${message.sender.handle}`, message.createdAt, shownText(message.text), result.messageGroupUuid]],
      ),
    )
    if (result.duplicate)
      this.info(
        chalk.yellow(`Already sent with this idempotency key: nothing was written · message ${message.messageUuid}`),
      )
    else
      this.info(
        `${result.newConversation ? chalk.green('New conversation') : 'Added to the conversation'} ` +
          `· message ${message.messageUuid}`,
      )
    return {
      duplicate: result.duplicate,
      message,
      messageGroupUuid: result.messageGroupUuid,
      newConversation: result.newConversation,
      target: dynamoDbTargetJson(target),
    }
  }
}

import {Args, Flags} from '@oclif/core'

import {TargetCommand} from '../../../target-command.js'
import {readCacheFlag} from '../../../cache-flags.js'
import {pageFlags} from '../../../page-flags.js'
import {renderTable} from '../../../output.js'
import {shownText, type Message} from '../../../lib/dynamodb/patterns/views.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../../lib/targets/dynamodb.js'
import {getConversation, requireUuid} from '../../../lib/dynamodb/patterns/index.js'
import {requireUserByHandle} from '../../../lib/postgres/users.js'

/** What `ddb patterns get-conversation --json` prints. */
export interface GetConversationResult {
  /** Whether the page came from the Momento cache. */
  fromCache: boolean
  /** Newest first. */
  messages: Message[]
  /** The cursor of the next (older) page; null on the last. */
  nextCursor: string | null
  target: DynamoDbTargetJson
}

export default class GetConversation extends TargetCommand<typeof GetConversation> {
  static override description =
    `Show a conversation's messages, newest first (Pattern A).

One Query on the conversation's partition, a page at a time: when more messages follow, ` +
    `the command prints the cursor of the next (older) page on stderr. --as reads on behalf of ` +
    `a user and refuses a conversation they are not in; without it you read as an operator.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 5ae290ed-55d1-47a0-bc6d-fe2bc2700399',
    '<%= config.bin %> <%= command.id %> 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 --as andrewbrown --limit 50',
    '<%= config.bin %> <%= command.id %> 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 --cursor eyJwayI6Ik1TRyM1YWUy…',
    '<%= config.bin %> <%= command.id %> 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 --cache --json | jq .fromCache',
  ]

  static override args = {
    messageGroupUuid: Args.string({
      description: 'The conversation (its message_group_uuid, from list-conversations).',
      name: 'MESSAGE_GROUP_UUID',
      required: true,
    }),
  }

  static override flags = {
    as: Flags.string({
      description: 'Read as this user (a handle): refused unless they are in the conversation.',
      helpValue: 'HANDLE',
    }),
    ...pageFlags('Messages per page.'),
    cache: readCacheFlag,
  }

  async run(): Promise<GetConversationResult> {
    const group = requireUuid(this.args.messageGroupUuid, 'The conversation id')
    const target = this.dynamoDbTarget
    let asUser: {uuid: string; handle: string} | undefined
    if (this.flags.as !== undefined) {
      asUser = await requireUserByHandle(await this.postgres(), this.flags.as)
    }

    const table = (await this.messagesTable()).withCache(await this.patternCache())
    const page = await getConversation(table, group, {asUser, cursor: this.flags.cursor, limit: this.flags.limit})
    const fromCache = page.fromCache ?? false
    if (fromCache) this.info('(from the cache)')
    if (page.messages.length > 0) {
      this.log(
        renderTable(
          ['from', 'time', 'message'],
          page.messages.map((m) => [`@${m.sender.handle}`, m.createdAt, shownText(m.text)]),
        ),
      )
    } else {
      this.info('No messages.')
    }

    if (page.nextCursor) this.info(`older messages: --cursor ${page.nextCursor}`)
    return {fromCache, messages: page.messages, nextCursor: page.nextCursor, target: dynamoDbTargetJson(target)}
  }
}

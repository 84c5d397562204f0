import {Args} from '@oclif/core'

import {TargetCommand} from '../../../target-command.js'
import {readCacheFlag} from '../../../cache-flags.js'
import {pageFlags} from '../../../page-flags.js'
import {renderTable} from '../../../output.js'
import {shownText, type Conversation} from '../../../lib/dynamodb/patterns/views.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../../lib/targets/dynamodb.js'
import type {Participant} from '../../../lib/dynamodb/items.js'
import {requireUserByHandle} from '../../../lib/postgres/users.js'
import {listConversations} from '../../../lib/dynamodb/patterns/index.js'

/** What `ddb patterns list-conversations --json` prints. */
export interface ListConversationsResult {
  /** Newest first. */
  conversations: Conversation[]
  /** Whether the page came from the Momento cache. */
  fromCache: boolean
  /** The cursor of the next (older) page; null on the last. */
  nextCursor: string | null
  target: DynamoDbTargetJson
  user: Participant
}

export default class ListConversations extends TargetCommand<typeof ListConversations> {
  static override description =
    `List a user's conversations, the most recent first (Pattern B).

The handle is looked up in PostgreSQL (one query), then one Query reads the user's ` +
    `conversation rows a page at a time: when more follow, the cursor of the next page is ` +
    `printed on stderr.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> andrewbrown',
    '<%= config.bin %> <%= command.id %> @bayko --limit 5 --json',
    'MOMENTO_CACHE_NAME=cruddur <%= config.bin %> <%= command.id %> andrewbrown --json | jq .fromCache',
  ]

  static override args = {
    handle: Args.string({
      description: 'Whose conversations (a handle, with or without @).',
      name: 'HANDLE',
      required: true,
    }),
  }

  static override flags = {
    ...pageFlags('Conversations per page.'),
    cache: readCacheFlag,
  }

  async run(): Promise<ListConversationsResult> {
    const target = this.dynamoDbTarget
    const user = await requireUserByHandle(await this.postgres(), this.args.handle)
    const table = (await this.messagesTable()).withCache(await this.patternCache())
    const page = await listConversations(table, user.uuid, {cursor: this.flags.cursor, limit: this.flags.limit})
    const fromCache = page.fromCache ?? false
    if (fromCache) this.info('(from the cache)')
    if (page.conversations.length > 0) {
      this.log(
        renderTable(
          ['with', 'last message at', 'last message', 'message_group_uuid'],
          page.conversations.map((c) => [
            `${c.with.displayName} @${c.with.handle}`,
            c.lastMessageAt,
            shownText(c.lastMessage),
            c.messageGroupUuid,
          ]),
        ),
      )
    } else {
      this.info(`@${user.handle} has no conversations.`)
    }

    if (page.nextCursor) this.info(`older conversations: --cursor ${page.nextCursor}`)
    return {
      conversations: page.conversations,
      fromCache,
      nextCursor: page.nextCursor,
      target: dynamoDbTargetJson(target),
      user: {displayName: user.displayName, handle: user.handle, uuid: user.uuid},
    }
  }
}

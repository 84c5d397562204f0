import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {TargetCommand} from '../../../target-command.js'
import {refreshCacheFlag} from '../../../cache-flags.js'
import {renderTable} from '../../../output.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../../lib/targets/dynamodb.js'
import {ExitCode} from '../../../lib/errors.js'
import {requireUserByHandle} from '../../../lib/postgres/users.js'
import {
  type ErasedConversation,
  eraseUser,
  type EraseUserResult as Erasure,
} from '../../../lib/dynamodb/patterns/erase-user.js'
import {refreshAfterWrite} from '../../../lib/momento/pattern-cache.js'

/** What `ddb patterns erase-user --json` prints (each conversation's participants serve the cache refresh only). */
export interface EraseUserResult extends Omit<Erasure, 'conversations'> {
  conversations: Array<Omit<ErasedConversation, 'participantUuids'>>
  target: DynamoDbTargetJson
}

export default class EraseUser extends TargetCommand<typeof EraseUser> {
  static override description =
    `Erase a user's messages from DynamoDB (a GDPR request).

In every conversation the user is in (found through their own conversation rows: Queries, ` +
    `never a table scan), every message they sent becomes a tombstone (text replaced by ` +
    `"(message deleted)"), or with ` +
    `--hard is removed, and both participants' conversation rows are brought up to date, so no ` +
    `text of theirs is left. Resumable: killed half-way, run it again and it finishes. ` +
    `--dry-run reports what would change.

Only DynamoDB: the user's row in PostgreSQL is not touched, and the conversations stay ` +
    `(with the user's handle and name in the other participant's list).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> bayko --dry-run',
    '<%= config.bin %> <%= command.id %> bayko',
    '<%= config.bin %> <%= command.id %> bayko --hard --prod --yes --json',
  ]

  static override args = {
    handle: Args.string({description: 'Whose messages (a handle, with or without @).', name: 'HANDLE', required: true}),
  }

  static override flags = {
    hard: Flags.boolean({description: 'Remove the messages instead of leaving tombstones.'}),
    'dry-run': Flags.boolean({description: 'Report what would change; write nothing.'}),
    cache: refreshCacheFlag,
  }

  async run(): Promise<EraseUserResult> {
    const target = this.dynamoDbTarget
    const user = await requireUserByHandle(await this.postgres(), this.args.handle)
    const dryRun = this.flags['dry-run']
    if (!dryRun)
      await this.confirmProd(
        `erase every message @${user.handle} sent${this.flags.hard ? ' (removed)' : ''} in table ${target.table}`,
        target,
      )
    const table = await this.messagesTable()
    const result = await eraseUser(table, user, {
      dryRun,
      hard: this.flags.hard,
      onConversation: (done, total) => this.info(`conversation ${done}/${total}`),
    })
    if (!dryRun) {
      await refreshAfterWrite(await this.patternCache(), table, result.conversations)
    }

    if (result.conversations.length > 0) {
      this.log(
        renderTable(
          ['conversation', 'messages', 'rows updated'],
          result.conversations.map((c) => [
            c.messageGroupUuid + (c.removed ? ' (removed)' : ''),
            String(c.messages),
            String(c.rowsUpdated),
          ]),
        ),
      )
    }

    const verb = dryRun ? 'Would erase' : this.flags.hard ? 'Removed' : 'Erased'
    this.log(
      `${verb} ${result.messages} message${result.messages === 1 ? '' : 's'} of @${user.handle} ` +
        `in ${result.conversations.length} of their ${result.conversationsSeen} conversations; ` +
        `${result.rowsUpdated} conversation row${result.rowsUpdated === 1 ? '' : 's'} ` +
        `${dryRun ? 'would be ' : ''}updated.`,
    )
    for (const {messageGroupUuid, problem} of result.skipped)
      this.info(chalk.yellow(`skipped conversation ${messageGroupUuid}: ${problem}`))
    if (result.skipped.length > 0) {
      // The user's text is still in those: the run is not done, and says how to finish it.
      this.info(
        chalk.yellow(
          `${result.skipped.length} conversation(s) skipped: repair them with \`cruddur ddb doctor --fix\`, ` +
            'then run this again (it carries on where it stopped).',
        ),
      )
      process.exitCode = ExitCode.conflict
    }

    this.info(`The user's PostgreSQL row was not touched (remove it separately if the request covers it).`)
    return {
      ...result,
      conversations: result.conversations.map(({participantUuids: _participants, ...c}) => c),
      target: dynamoDbTargetJson(target),
    }
  }
}

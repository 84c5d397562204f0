import {Flags} from '@oclif/core'

import {CognitoCommand} from '../../cognito-command.js'
import {renderTable} from '../../output.js'
import {cognitoTargetJson, type CognitoTargetJson, resolveUserPoolId} from '../../lib/targets/cognito.js'
import {postgresTargetJson, type PostgresTargetJson} from '../../lib/targets/postgres.js'
import {type CognitoLinkReport, updateCognitoUserIds} from '../../lib/postgres/cognito-user-ids.js'
import {listCognitoUsers} from '../../lib/cognito/users.js'

/** What `db update-cognito-user-ids --json` prints. */
export interface DbUpdateCognitoUserIdsResult extends CognitoLinkReport {
  /** The Cognito side, with the user pool that was read. */
  cognito: CognitoTargetJson
  target: PostgresTargetJson
}

export default class DbUpdateCognitoUserIds extends CognitoCommand<typeof DbUpdateCognitoUserIds> {
  static override description =
    `Copy each Cognito user's sub into users.cognito_user_id, ` +
    `matching the user's preferred_username to users.handle.

Handles are unique whatever their case, so the match ignores case; it is otherwise ` +
    `literal. Every user of the pool is read (following ListUsers pagination), and all updates ` +
    `happen in one transaction: if one fails (a sub another user already holds), nothing is ` +
    `changed. The report lists users updated, already correct, Cognito users whose ` +
    `preferred_username matches no handle, and PostgreSQL users with no Cognito user (left as ` +
    `they are). Running it again changes nothing. --dry-run runs the same transaction and rolls it back.

The pool is --user-pool-id, else AWS_COGNITO_USER_POOL_ID, else the local stack's pool.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --prod --user-pool-id us-east-1_AbCdEf123 --yes',
  ]

  static override flags = {
    'user-pool-id': Flags.string({
      description: "Cognito user pool id (default: AWS_COGNITO_USER_POOL_ID, else the local stack's pool).",
    }),
    'dry-run': Flags.boolean({description: 'Report what would change, write nothing.'}),
    'page-size': Flags.integer({
      default: 60,
      description: 'Users per ListUsers call (AWS allows at most 60).',
      min: 1,
      max: 60,
    }),
  }

  async run(): Promise<DbUpdateCognitoUserIdsResult> {
    const dryRun = Boolean(this.flags['dry-run'])
    const userPoolId = resolveUserPoolId(this.flags['user-pool-id'], process.env, this.cognitoTarget, this.localStack)
    this.announcePostgres()
    if (!dryRun) await this.confirmProd('update users.cognito_user_id', this.postgresTarget)
    const cognitoUsers = await this.cognitoRequest(userPoolId, (client) =>
      listCognitoUsers(client, userPoolId, {pageSize: this.flags['page-size']}),
    )
    const report = await updateCognitoUserIds(await this.postgres(), cognitoUsers, {dryRun})
    this.printReport(report)
    return {
      ...report,
      cognito: cognitoTargetJson(this.cognitoTarget, userPoolId),
      target: postgresTargetJson(this.postgresTarget),
    }
  }

  private printReport(report: CognitoLinkReport): void {
    const updated = report.dryRun ? 'would update' : 'updated'
    const rows = [
      ...report.updated.map((u) => [updated, `@${u.handle}`, u.cognitoUserId]),
      ...report.alreadyCorrect.map((u) => ['already correct', `@${u.handle}`, u.cognitoUserId]),
      ...report.cognitoUsersWithoutHandle.map((u) => [
        'no PostgreSQL user',
        u.preferredUsername ? `@${u.preferredUsername}` : `(${u.username}, no preferred_username)`,
        u.sub,
      ]),
      ...report.postgresUsersWithoutCognitoUser.map((u) => ['no Cognito user', `@${u.handle}`, u.cognitoUserId]),
    ]
    if (rows.length > 0) this.log(renderTable(['result', 'handle', 'cognito user id (sub)'], rows))
    this.log(
      `${report.updated.length} ${updated}, ${report.alreadyCorrect.length} already correct, ` +
        `${report.cognitoUsersWithoutHandle.length} Cognito users without a matching handle, ` +
        `${report.postgresUsersWithoutCognitoUser.length} PostgreSQL users without a Cognito ` +
        `user.${report.dryRun ? ' Dry run: nothing was written.' : ''}`,
    )
  }
}

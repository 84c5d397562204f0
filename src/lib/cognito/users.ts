import {
  type AttributeType,
  ListUsersCommand,
  type ListUsersCommandOutput,
} from '@aws-sdk/client-cognito-identity-provider'

import {CruddurError} from '../errors.js'

/** A Cognito user as the link to PostgreSQL needs it. */
export interface CognitoUser {
  username: string
  sub: string
  preferredUsername: string | null
  email: string | null
}

/** AWS answers at most 60 users per ListUsers call. */
export const LIST_USERS_MAX_PAGE = 60

/** What listing users needs from a client: `send`, so tests can pass a stub page source. */
export interface ListUsersSender {
  send(command: ListUsersCommand): Promise<Pick<ListUsersCommandOutput, 'PaginationToken' | 'Users'>>
}

const attribute = (attributes: AttributeType[] | undefined, name: string) =>
  attributes?.find((a) => a.Name === name)?.Value ?? null

/** Every user of the pool, following PaginationToken until the last page. */
export async function listCognitoUsers(
  client: ListUsersSender,
  userPoolId: string,
  options: {pageSize?: number} = {},
): Promise<CognitoUser[]> {
  const pageSize = Math.min(options.pageSize ?? LIST_USERS_MAX_PAGE, LIST_USERS_MAX_PAGE)
  const users: CognitoUser[] = []
  const seenTokens = new Set<string>()
  let token: string | undefined
  do {
    const page = await client.send(
      new ListUsersCommand({Limit: pageSize, PaginationToken: token, UserPoolId: userPoolId}),
    )
    for (const user of page.Users ?? []) {
      const sub = attribute(user.Attributes, 'sub')
      if (!user.Username || !sub) continue
      users.push({
        email: attribute(user.Attributes, 'email'),
        preferredUsername: attribute(user.Attributes, 'preferred_username'),
        sub,
        username: user.Username,
      })
    }

    token = page.PaginationToken || undefined
    // A server that hands back a token it gave before would loop for ever.
    if (token && seenTokens.has(token)) {
      throw new CruddurError(
        'FAILED',
        `Cognito returned the same ListUsers page token twice for pool ${userPoolId}: the listing cannot be completed.`,
      )
    }

    if (token) seenTokens.add(token)
  } while (token)

  return users
}

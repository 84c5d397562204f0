import {
  AdminCreateUserCommand,
  type CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider'

import {type SeedUser} from '../seed-users.js'

export const LOCAL_POOL_NAME = 'cruddur'
export const LOCAL_CLIENT_NAME = 'cruddur-web'

export interface LocalUserPool {
  userPoolId: string
  clientId: string
  /** Usernames created by this call; users that existed already are left alone. */
  createdUsers: string[]
}

/**
 * The local pool, its app client and a Cognito user per seed user, each created only when missing (found
 * by name), so a restarted cognito-local keeps its pool and its users keep their `sub`.
 */
export async function ensureLocalUserPool(
  client: CognitoIdentityProviderClient,
  users: readonly SeedUser[],
): Promise<LocalUserPool> {
  const pools = await client.send(new ListUserPoolsCommand({MaxResults: 60}))
  let userPoolId = pools.UserPools?.find((pool) => pool.Name === LOCAL_POOL_NAME)?.Id
  if (!userPoolId) {
    const created = await client.send(new CreateUserPoolCommand({PoolName: LOCAL_POOL_NAME}))
    userPoolId = created.UserPool!.Id!
  }

  const clients = await client.send(new ListUserPoolClientsCommand({MaxResults: 60, UserPoolId: userPoolId}))
  let clientId = clients.UserPoolClients?.find((appClient) => appClient.ClientName === LOCAL_CLIENT_NAME)?.ClientId
  if (!clientId) {
    const created = await client.send(
      new CreateUserPoolClientCommand({ClientName: LOCAL_CLIENT_NAME, UserPoolId: userPoolId}),
    )
    clientId = created.UserPoolClient!.ClientId!
  }

  const createdUsers: string[] = []
  for (const user of users) {
    try {
      await client.send(
        new AdminCreateUserCommand({
          MessageAction: 'SUPPRESS',
          UserAttributes: [
            {Name: 'preferred_username', Value: user.handle},
            {Name: 'email', Value: user.email},
            {Name: 'email_verified', Value: 'true'},
            {Name: 'name', Value: user.displayName},
          ],
          UserPoolId: userPoolId,
          Username: user.handle,
        }),
      )
      createdUsers.push(user.handle)
    } catch (error) {
      if ((error as Error).name !== 'UsernameExistsException') throw error
    }
  }

  return {clientId, createdUsers, userPoolId}
}

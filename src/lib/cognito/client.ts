import {CognitoIdentityProviderClient} from '@aws-sdk/client-cognito-identity-provider'

import {awsClientConfig} from '../aws-config.js'
import {type CognitoTarget} from '../targets/cognito.js'

export function createCognitoClient(target: CognitoTarget): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient(awsClientConfig(target))
}

import {type Command, Flags} from '@oclif/core'
import type {CognitoIdentityProviderClient} from '@aws-sdk/client-cognito-identity-provider'

import {TargetCommand} from './target-command.js'
import {type CognitoTarget, describeCognitoTarget, resolveCognitoTarget} from './lib/targets/cognito.js'
import type {ErrorContext} from './translate-error.js'

/**
 * A data command that also talks to Cognito: `--cognito-endpoint`, and a client created on first use.
 * Cognito calls go through `cognitoRequest`, which records the pool their failures name.
 */
export abstract class CognitoCommand<T extends typeof Command> extends TargetCommand<T> {
  static override baseFlags = {
    ...TargetCommand.baseFlags,
    'cognito-endpoint': Flags.string({
      description:
        'Cognito endpoint URL (default: AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, the running ' +
        'local stack, http://localhost:9229).',
      helpGroup: 'TARGET',
    }),
  }

  private cognitoClient?: CognitoIdentityProviderClient
  private cachedCognitoTarget?: CognitoTarget
  private userPoolId?: string

  protected get cognitoTarget(): CognitoTarget {
    if (!this.cachedCognitoTarget) {
      this.cachedCognitoTarget = resolveCognitoTarget(this.targetFlags, process.env, this.localStack)
    }

    return this.cachedCognitoTarget
  }

  /** Runs `request` with the Cognito client, announcing the target the first time. */
  protected async cognitoRequest<R>(
    userPoolId: string,
    request: (client: CognitoIdentityProviderClient) => Promise<R>,
  ): Promise<R> {
    const target = this.cognitoTarget
    this.userPoolId = userPoolId
    if (!this.cognitoClient) {
      this.announce(`cognito ${describeCognitoTarget(target)} · pool ${userPoolId}`, {
        debug: `Cognito target from ${target.source}`,
      })
      const {createCognitoClient} = await import('./lib/cognito/client.js')
      this.cognitoClient = createCognitoClient(target)
    }

    return request(this.cognitoClient)
  }

  protected override errorContext(): ErrorContext {
    const context = super.errorContext()
    if (this.cachedCognitoTarget) context.cognito = {target: this.cachedCognitoTarget, userPoolId: this.userPoolId}
    return context
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    this.cognitoClient?.destroy()
    return super.finally(error)
  }
}

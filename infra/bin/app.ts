import {App} from 'aws-cdk-lib'

import {MessageStreamStack} from '../lib/message-stream-stack.js'

// Environment-agnostic and lookup-free, so `cdk synth` works offline; `cdk deploy` takes the account and
// region from the credentials in use.
const app = new App()
const tableName = (app.node.tryGetContext('tableName') as string | undefined) ?? 'cruddur-messages'
const tableStreamArn = app.node.tryGetContext('tableStreamArn') as string | undefined
if (!tableStreamArn) {
  console.error(`note: no -c tableStreamArn=…: the stack creates table ${tableName} itself (with the CLI's definition)`)
}

// -c momentoCacheName=cruddur -c momentoApiKeySecretArn=arn:…: the function keeps the Momento cache fresh too.
const momentoCacheName = app.node.tryGetContext('momentoCacheName') as string | undefined
const momentoApiKeySecretArn = app.node.tryGetContext('momentoApiKeySecretArn') as string | undefined
if (Boolean(momentoCacheName) !== Boolean(momentoApiKeySecretArn)) {
  throw new Error(
    '-c momentoCacheName and -c momentoApiKeySecretArn go together: ' +
      'pass both to refresh the Momento cache, or neither.',
  )
}

new MessageStreamStack(app, (app.node.tryGetContext('stackName') as string | undefined) ?? 'CruddurMessageStream', {
  description:
    'cruddur: Pattern D from the cruddur-messages stream (Lambda, event source mapping, VPC endpoint, alarms)',
  momento:
    momentoCacheName && momentoApiKeySecretArn
      ? {apiKeySecretArn: momentoApiKeySecretArn, cacheName: momentoCacheName}
      : undefined,
  tableName,
  tableStreamArn,
})

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

new MessageStreamStack(app, (app.node.tryGetContext('stackName') as string | undefined) ?? 'CruddurMessageStream', {
  description: 'cruddur: Pattern D from the cruddur-messages stream (Lambda, event source mapping, VPC endpoint, alarms)',
  tableName,
  tableStreamArn,
})

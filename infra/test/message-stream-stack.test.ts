import {App, Duration} from 'aws-cdk-lib'
import {Match, Template} from 'aws-cdk-lib/assertions'
import assert from 'node:assert/strict'
import {before, describe, it} from 'node:test'
import {pathToFileURL} from 'node:url'
import {join} from 'node:path'

import {bundleMessageStreamHandler} from '../lib/bundle.js'
import {MessageStreamStack} from '../lib/message-stream-stack.js'

const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/cruddur-messages/stream/2026-01-01T00:00:00.000'

type Statement = {Action: string | string[]; Condition?: unknown; Effect: string; Resource: unknown}

/** Every statement of the handler role's inline policies, with actions as arrays. */
function roleStatements(template: Template): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{
    Properties: {PolicyDocument: {Statement: Statement[]}}
  }>
  return policies
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .map((statement) => ({...statement, Action: [statement.Action].flat()}))
}

const actionsOf = (statements: Statement[]) => statements.flatMap((statement) => statement.Action as string[]).sort()

describe('MessageStreamStack', () => {
  let codeDirectory: string
  let template: Template
  let owned: Template
  let cached: Template
  const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cruddur-momento-AbCdEf'

  before(() => {
    codeDirectory = bundleMessageStreamHandler()
    template = Template.fromStack(
      new MessageStreamStack(new App(), 'Referenced', {
        handlerCodeDirectory: codeDirectory,
        tableName: 'cruddur-messages',
        tableStreamArn: STREAM_ARN,
      }),
    )
    owned = Template.fromStack(
      new MessageStreamStack(new App(), 'Owned', {handlerCodeDirectory: codeDirectory, tableName: 'cruddur-messages'}),
    )
    cached = Template.fromStack(
      new MessageStreamStack(new App(), 'Cached', {
        handlerCodeDirectory: codeDirectory,
        momento: {apiKeySecretArn: SECRET_ARN, cacheName: 'cruddur'},
        tableName: 'cruddur-messages',
        tableStreamArn: STREAM_ARN,
      }),
    )
  })

  it('bundles the handler into one ESM file that exports `handler`', async () => {
    const module = (await import(pathToFileURL(join(codeDirectory, 'index.mjs')).href)) as {handler?: unknown}
    assert.equal(typeof module.handler, 'function')
  })

  it('the mapping filters INSERTs of MSG# items, reports partial failures, bisects, and bounds retries and age', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1)
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      DestinationConfig: {OnFailure: {Destination: Match.anyValue()}},
      EventSourceArn: STREAM_ARN,
      FilterCriteria: {
        Filters: [{Pattern: JSON.stringify({dynamodb: {Keys: {pk: {S: [{prefix: 'MSG#'}]}}}, eventName: ['INSERT']})}],
      },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRecordAgeInSeconds: Duration.hours(1).toSeconds(),
      MaximumRetryAttempts: 5,
      StartingPosition: 'TRIM_HORIZON',
    })
  })

  it('the function reads its table from the environment and runs in isolated subnets', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {Variables: Match.objectLike({DDB_MESSAGE_TABLE: 'cruddur-messages'})},
      Handler: 'index.handler',
      VpcConfig: {SecurityGroupIds: Match.anyValue(), SubnetIds: Match.anyValue()},
    })
    template.resourceCountIs('AWS::EC2::NatGateway', 0)
    template.resourceCountIs('AWS::EC2::InternetGateway', 0)
  })

  it('the VPC reaches DynamoDB through a gateway endpoint', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: Match.objectLike({
        'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('dynamodb')])]),
      }),
      VpcEndpointType: 'Gateway',
    })
  })

  it('the role grants only what Pattern D and the mapping need, on only this table, index, stream and queue', () => {
    const statements = roleStatements(template)
    const dynamo = statements.filter((statement) =>
      (statement.Action as string[]).some((action) => action.startsWith('dynamodb:')),
    )
    assert.deepEqual(
      [...new Set(actionsOf(dynamo))],
      [
        'dynamodb:DeleteItem',
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'dynamodb:PutItem',
        'dynamodb:Query',
      ],
    )
    const resourceOf = (action: string) =>
      JSON.stringify(dynamo.find((statement) => (statement.Action as string[]).includes(action))!.Resource)
    assert.match(resourceOf('dynamodb:Query'), /table\/cruddur-messages\/index\/message-group-sk-index/)
    // The table itself may be queried (when the index lags) only in conversation lists.
    const tableQuery = dynamo.filter(
      (statement) =>
        (statement.Action as string[]).includes('dynamodb:Query') &&
        !JSON.stringify(statement.Resource).includes('/index/'),
    )
    assert.equal(tableQuery.length, 1)
    assert.match(JSON.stringify(tableQuery[0].Resource), /table\/cruddur-messages"/)
    assert.deepEqual(tableQuery[0].Condition, {'ForAllValues:StringLike': {'dynamodb:LeadingKeys': ['GRP#*']}})
    assert.match(resourceOf('dynamodb:PutItem'), /table\/cruddur-messages"/)
    assert.equal(resourceOf('dynamodb:DeleteItem'), resourceOf('dynamodb:PutItem'))
    assert.equal(resourceOf('dynamodb:GetRecords'), JSON.stringify(STREAM_ARN))
    // ListStreams cannot be scoped to a resource; it only lists stream ARNs.
    assert.equal(resourceOf('dynamodb:ListStreams'), '"*"')
    const everything = actionsOf(statements)
    for (const action of everything) assert.match(action, /^(dynamodb|sqs|logs|ec2):/, `unexpected ${action}`)
    assert.deepEqual(
      everything.filter((action) => action.startsWith('sqs:')),
      ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
    )
    assert.ok(!everything.some((action) => action.endsWith('*')), 'no wildcard actions')
    // No managed policies: everything the role may do is written out above.
    template.hasResourceProperties('AWS::IAM::Role', {ManagedPolicyArns: Match.absent()})
  })

  it('alarms on the iterator age of the function', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{Name: 'FunctionName', Value: Match.anyValue()}],
      MetricName: 'IteratorAge',
      Namespace: 'AWS/Lambda',
      Statistic: 'Maximum',
      Threshold: 60_000,
    })
  })

  it('without a stream ARN it owns the table, defined as `cruddur ddb schema-load` defines it', () => {
    owned.hasResource('AWS::DynamoDB::Table', {DeletionPolicy: 'Retain'})
    owned.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: [
        {
          IndexName: 'message-group-sk-index',
          KeySchema: [
            {AttributeName: 'message_group_uuid', KeyType: 'HASH'},
            {AttributeName: 'sk', KeyType: 'RANGE'},
          ],
          Projection: {ProjectionType: 'ALL'},
        },
      ],
      KeySchema: [
        {AttributeName: 'pk', KeyType: 'HASH'},
        {AttributeName: 'sk', KeyType: 'RANGE'},
      ],
      StreamSpecification: {StreamViewType: 'NEW_IMAGE'},
      TableName: 'cruddur-messages',
    })
    owned.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: {'Fn::GetAtt': [Match.stringLikeRegexp('MessagesTable'), 'StreamArn']},
    })
  })

  it(
    "with Momento, the function names the cache and the key's secret (never the key), " +
      'reads only that secret, and runs outside the VPC',
    () => {
      cached.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: {
            DDB_MESSAGE_TABLE: 'cruddur-messages',
            MOMENTO_API_KEY_SECRET_ARN: SECRET_ARN,
            MOMENTO_CACHE_NAME: 'cruddur',
            MOMENTO_TTL_SECONDS: '600',
          },
        },
        VpcConfig: Match.absent(),
      })
      cached.resourceCountIs('AWS::EC2::VPC', 0)
      const statements = roleStatements(cached)
      const secrets = statements.filter((statement) =>
        (statement.Action as string[]).some((action) => action.startsWith('secretsmanager:')),
      )
      assert.deepEqual(
        secrets.map((statement) => [statement.Action, statement.Resource]),
        [[['secretsmanager:GetSecretValue'], SECRET_ARN]],
      )
      assert.ok(
        !actionsOf(statements).some((action) => action.startsWith('ec2:')),
        'no network interface rights outside a VPC',
      )
    },
  )
})

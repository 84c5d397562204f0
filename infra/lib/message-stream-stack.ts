import {CfnOutput, Duration, RemovalPolicy, Stack, type StackProps} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import {DynamoEventSource, SqsDlq} from 'aws-cdk-lib/aws-lambda-event-sources'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import type {Construct} from 'constructs'

import {GROUP_INDEX, messagesTableDefinition} from '../../src/lib/dynamodb/schema.js'
import {bundleMessageStreamHandler} from './bundle.js'

export interface MessageStreamStackProps extends StackProps {
  /** The messages table (`cruddur ddb schema-load --prod` creates it). */
  tableName: string
  /** Its stream (LatestStreamArn). Without it the stack owns the table, made from the CLI's definition. */
  tableStreamArn?: string
  /** Records per invocation (default 100). */
  batchSize?: number
  /** Retries of a failing batch before it goes to the on-failure queue (default 5). */
  retryAttempts?: number
  /** Records older than this go to the on-failure queue unprocessed (default 1 hour). */
  maxRecordAge?: Duration
  /** Alarm when the oldest unprocessed record is older than this (default 1 minute). */
  iteratorAgeThreshold?: Duration
  /** Prebuilt handler directory (index.mjs); by default it is bundled from src/ at synth. */
  handlerCodeDirectory?: string
  /**
   * Keep the read patterns' Momento cache fresh from the stream too. Momento is on the internet, so the
   * function then runs outside the VPC (Lambda's own networking), reading its key from Secrets Manager.
   */
  momento?: {
    cacheName: string
    /** A Secrets Manager secret whose plain-text value is the Momento API key. */
    apiKeySecretArn: string
    /** Cached pages' TTL (default 600 s, as the CLI's). */
    ttlSeconds?: number
  }
}

/**
 * Pattern D in production: the stream of cruddur-messages drives a Lambda that moves both conversation rows
 * of each new message. The function runs the same handler as `cruddur ddb stream process`, inside a VPC that
 * reaches DynamoDB through a gateway endpoint (no NAT, no internet), with a role that can do exactly what the
 * handler does and nothing else. With `momento`, it also refreshes the read patterns' cache, from outside
 * the VPC (Momento is on the internet), with read access to the key's secret only.
 */
export class MessageStreamStack extends Stack {
  readonly table: dynamodb.ITable
  readonly function: lambda.Function
  readonly onFailureQueue: sqs.Queue
  readonly iteratorAgeAlarm: cloudwatch.Alarm

  constructor(scope: Construct, id: string, props: MessageStreamStackProps) {
    super(scope, id, props)
    this.table = props.tableStreamArn
      ? dynamodb.Table.fromTableAttributes(this, 'Table', {
          tableName: props.tableName,
          tableStreamArn: props.tableStreamArn,
        })
      : this.ownTable(props.tableName)

    const indexArn = `${this.table.tableArn}/index/${GROUP_INDEX}`
    // What Pattern D does: Query the conversation index (or, when the index lags, the participants'
    // conversation lists in the table: GRP# partitions only), then a transaction of conditional Deletes and Puts.
    const handlerActions = [
      new iam.PolicyStatement({actions: ['dynamodb:Query'], resources: [indexArn]}),
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        conditions: {'ForAllValues:StringLike': {'dynamodb:LeadingKeys': ['GRP#*']}},
        resources: [this.table.tableArn],
      }),
      new iam.PolicyStatement({actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: [this.table.tableArn]}),
    ]
    const vpc = props.momento ? undefined : this.isolatedVpc(handlerActions)

    const logGroup = new logs.LogGroup(this, 'HandlerLogs', {
      removalPolicy: RemovalPolicy.DESTROY,
      retention: logs.RetentionDays.ONE_MONTH,
    })
    const role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'cruddur message stream handler: read the stream, update conversation rows',
    })
    for (const statement of handlerActions) role.addToPolicy(statement)
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    )
    if (vpc) {
      // Lambda's network interfaces in the VPC; EC2 offers no resource-level scoping for these.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      )
    }

    if (props.momento)
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [props.momento.apiKeySecretArn],
        }),
      )
    const momentoEnvironment: Record<string, string> = props.momento
      ? {
          MOMENTO_API_KEY_SECRET_ARN: props.momento.apiKeySecretArn,
          MOMENTO_CACHE_NAME: props.momento.cacheName,
          MOMENTO_TTL_SECONDS: String(props.momento.ttlSeconds ?? 600),
        }
      : {}

    this.function = new lambda.Function(this, 'Handler', {
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(props.handlerCodeDirectory ?? bundleMessageStreamHandler()),
      description: 'Pattern D: moves both conversation rows to each new message (cruddur src/lambda/message-stream.ts)',
      environment: {DDB_MESSAGE_TABLE: props.tableName, ...momentoEnvironment},
      handler: 'index.handler',
      logGroup,
      loggingFormat: lambda.LoggingFormat.TEXT,
      memorySize: 256,
      role,
      runtime: lambda.Runtime.NODEJS_24_X,
      timeout: Duration.seconds(60),
      ...(vpc ? {vpc, vpcSubnets: {subnetType: ec2.SubnetType.PRIVATE_ISOLATED}} : {}),
    })

    this.onFailureQueue = new sqs.Queue(this, 'OnFailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    })
    // Grants the role stream read (DescribeStream/GetRecords/GetShardIterator on this stream, ListStreams) and
    // SendMessage on the queue: what the event source mapping itself needs.
    this.function.addEventSource(
      new DynamoEventSource(this.table, {
        batchSize: props.batchSize ?? 100,
        bisectBatchOnError: true,
        filters: [
          lambda.FilterCriteria.filter({
            dynamodb: {Keys: {pk: {S: lambda.FilterRule.beginsWith('MSG#')}}},
            eventName: lambda.FilterRule.isEqual('INSERT'),
          }),
        ],
        maxRecordAge: props.maxRecordAge ?? Duration.hours(1),
        onFailure: new SqsDlq(this.onFailureQueue),
        reportBatchItemFailures: true,
        retryAttempts: props.retryAttempts ?? 5,
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      }),
    )

    this.iteratorAgeAlarm = new cloudwatch.Alarm(this, 'IteratorAgeAlarm', {
      alarmDescription: 'Conversation rows are falling behind new messages: the stream handler is slow or failing.',
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      metric: this.function.metric('IteratorAge', {period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM}),
      threshold: (props.iteratorAgeThreshold ?? Duration.minutes(1)).toMilliseconds(),
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    })
    new cloudwatch.Alarm(this, 'OnFailureQueueAlarm', {
      alarmDescription:
        'Stream batches were given up: run `cruddur ddb patterns update-message-group` ' +
        'for the conversations in the queue.',
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      metric: this.onFailureQueue.metricApproximateNumberOfMessagesVisible({period: Duration.minutes(5)}),
      threshold: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    })

    new CfnOutput(this, 'HandlerName', {value: this.function.functionName})
    new CfnOutput(this, 'OnFailureQueueUrl', {value: this.onFailureQueue.queueUrl})
  }

  /** Isolated subnets (no NAT, no internet) that reach DynamoDB through a gateway endpoint allowing only `actions`. */
  private isolatedVpc(actions: iam.PolicyStatement[]): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{cidrMask: 24, name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED}],
    })
    const endpoint = vpc.addGatewayEndpoint('DynamoDbEndpoint', {service: ec2.GatewayVpcEndpointAwsService.DYNAMODB})
    // The endpoint lets nothing else through either, whoever's credentials are used inside the VPC.
    for (const statement of actions) {
      endpoint.addToPolicy(
        new iam.PolicyStatement({
          actions: statement.actions,
          principals: [new iam.AnyPrincipal()],
          resources: statement.resources,
        }),
      )
    }

    return vpc
  }

  /** The table as `cruddur ddb schema-load` makes it, from the same definition; kept if the stack goes. */
  private ownTable(tableName: string): dynamodb.ITable {
    const definition = messagesTableDefinition({tableName})
    // The SDK's input spells properties PascalCase, CloudFormation's constructs camelCase.
    const camelCase = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(camelCase)
        : value && typeof value === 'object'
          ? Object.fromEntries(
              Object.entries(value).map(([key, inner]) => [key[0].toLowerCase() + key.slice(1), camelCase(inner)]),
            )
          : value
    const camel = <T>(value: unknown) => camelCase(value) as T
    const cfnTable = new dynamodb.CfnTable(this, 'MessagesTable', {
      attributeDefinitions: camel<dynamodb.CfnTable.AttributeDefinitionProperty[]>(definition.AttributeDefinitions),
      billingMode: definition.BillingMode,
      globalSecondaryIndexes: camel<dynamodb.CfnTable.GlobalSecondaryIndexProperty[]>(
        definition.GlobalSecondaryIndexes,
      ),
      keySchema: camel<dynamodb.CfnTable.KeySchemaProperty[]>(definition.KeySchema),
      pointInTimeRecoverySpecification: {pointInTimeRecoveryEnabled: true},
      // CloudFormation's stream specification has only the view type: a stream is on when it is given.
      streamSpecification: {streamViewType: definition.StreamSpecification!.StreamViewType!},
      tableName: definition.TableName,
    })
    cfnTable.applyRemovalPolicy(RemovalPolicy.RETAIN)
    return dynamodb.Table.fromTableAttributes(this, 'Table', {tableName, tableStreamArn: cfnTable.attrStreamArn})
  }
}

import {DynamoDBClient, type DynamoDBClientConfig} from '@aws-sdk/client-dynamodb'
import {DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

import type {CacheStore} from '../momento/client.js'

/** The document client over `client`, as every caller builds it: undefined attributes are left out, not refused. */
export const documentClientFor = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, {marshallOptions: {removeUndefinedValues: true}})

/**
 * A client for `config`, and beside it one over the same connections that resolves each command's middleware once
 * instead of per request (`cacheMiddleware`, which the document client cannot use): for a read sent once per
 * conversation or per stream record. The per-request resolution was most of the garbage that let doctor's heap
 * grow past 200 MB on 10,000 conversations.
 */
export function clientWithQueryClient(config: DynamoDBClientConfig): {
  client: DynamoDBClient
  queryClient: DynamoDBClient
} {
  const client = new DynamoDBClient(config)
  // The same credentials (a profile's credential_process or role runs once) and connections. Its retries are its
  // own: on --prod an adaptive rate of its own, learnt from the throttling of the reads it alone sends.
  const queryClient = new DynamoDBClient({
    ...config,
    cacheMiddleware: true,
    credentials: client.config.credentials,
    requestHandler: client.config.requestHandler,
  })
  return {client, queryClient}
}

/**
 * The messages table (`cruddur-messages` or a test's copy): its name and the clients that reach it, in one
 * object the patterns, seed, doctor and stream handler take (as dynamodb-toolbox's `Table`). Each caller makes
 * it from its own clients: the CLI from its target, the Lambda from its environment, a test from the stack.
 */
export class MessagesTable {
  /** The document client the patterns send through (plain JS values in and out). */
  readonly doc: DynamoDBDocumentClient
  /** The table's name. */
  readonly name: string
  /** The read patterns' cache-aside store (first pages); without one every read goes to the table. */
  readonly cache?: CacheStore
  /** A low-level client with cached middleware, for reads sent per conversation (`clientWithQueryClient`). */
  readonly queryClient?: DynamoDBClient
  /** The read patterns' page Queries read strongly consistently (what a cache refresh stores must be current). */
  readonly consistentReads: boolean
  private readonly lowLevel?: DynamoDBClient

  constructor(options: {
    name: string
    doc?: DynamoDBDocumentClient
    client?: DynamoDBClient
    queryClient?: DynamoDBClient
    cache?: CacheStore
    consistentReads?: boolean
  }) {
    if (!options.doc && !options.client)
      throw new Error('A MessagesTable needs a document client or a DynamoDB client.')
    this.name = options.name
    this.lowLevel = options.client
    this.doc = options.doc ?? documentClientFor(options.client!)
    this.cache = options.cache
    this.queryClient = options.queryClient
    this.consistentReads = options.consistentReads ?? false
  }

  /** The low-level client, for the few calls the document client lacks (DescribeTable, the stream). */
  get client(): DynamoDBClient {
    if (!this.lowLevel) throw new Error(`The MessagesTable for ${this.name} was made without a DynamoDB client.`)
    return this.lowLevel
  }

  /** The same table read through `cache` (undefined: no cache). */
  withCache(cache: CacheStore | undefined): MessagesTable {
    return new MessagesTable({...this.options(), cache})
  }

  /**
   * The same table without a cache, its pages read strongly consistently: what a cache refresh stores right
   * after a write must show that write (an eventually consistent read may not yet, and would be kept for the TTL).
   */
  readingConsistently(): MessagesTable {
    return new MessagesTable({...this.options(), cache: undefined, consistentReads: true})
  }

  private options(): ConstructorParameters<typeof MessagesTable>[0] {
    return {
      cache: this.cache,
      client: this.lowLevel,
      consistentReads: this.consistentReads,
      doc: this.doc,
      name: this.name,
      queryClient: this.queryClient,
    }
  }
}

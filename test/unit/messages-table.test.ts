import {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {expect} from 'chai'

import {queryRequest} from '../../src/lib/dynamodb/lookup.js'
import {clientWithQueryClient, documentClientFor, MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {partitionPageRequest} from '../../src/lib/dynamodb/patterns/page.js'

// Nothing here is sent: a table object over a client aimed nowhere is enough to build requests.
const table = new MessagesTable({
  client: new DynamoDBClient({endpoint: 'http://127.0.0.1:9', region: 'us-east-1'}),
  name: 'cruddur-messages',
})

const cache = {
  delete: async () => {},
  get: async () => undefined,
  name: 'test',
  set: async () => {},
  setIfAbsent: async () => true,
  ttlSeconds: 60,
}

describe('the messages table object', () => {
  it("builds a read pattern's page Query without a network, newest first, one item past the page", () => {
    expect(partitionPageRequest(table, 'MSG#5ae290ed-55d1-47a0-bc6d-fe2bc2700399', 21)).to.deep.equal({
      ExclusiveStartKey: undefined,
      ExpressionAttributeValues: {':pk': 'MSG#5ae290ed-55d1-47a0-bc6d-fe2bc2700399'},
      KeyConditionExpression: 'pk = :pk',
      Limit: 21,
      ScanIndexForward: false,
      TableName: 'cruddur-messages',
    })
  })

  it('reads pages strongly consistently when asked to, without its cache (what a cache refresh stores)', () => {
    const consistent = table.withCache(cache).readingConsistently()
    expect(consistent.cache).to.equal(undefined)
    expect(partitionPageRequest(consistent, 'MSG#5ae290ed-55d1-47a0-bc6d-fe2bc2700399', 21)).to.include({
      ConsistentRead: true,
    })
    expect(partitionPageRequest(table, 'MSG#5ae290ed-55d1-47a0-bc6d-fe2bc2700399', 21)).not.to.have.property(
      'ConsistentRead',
    )
  })

  it("builds `ddb query`'s request against its own table name", () => {
    expect(queryRequest(table, {partition: 'GRP#b6d9a7e1-8f3e-4a5c-9c3e-0a1b2c3d4e5f'})).to.include({
      TableName: 'cruddur-messages',
    })
  })

  it('keeps its clients and name when given a cache, and drops the cache on request', () => {
    const cached = table.withCache(cache)
    expect(cached).to.include({cache, client: table.client, doc: table.doc, name: 'cruddur-messages'})
    expect(cached.withCache(undefined).cache).to.equal(undefined)
  })

  it('makes a query client that caches its middleware over the same connections, beside a plain client', () => {
    const {client, queryClient} = clientWithQueryClient({endpoint: 'http://127.0.0.1:9', region: 'us-east-1'})
    expect(queryClient.config.cacheMiddleware).to.equal(true)
    expect(queryClient.config.requestHandler).to.equal(client.config.requestHandler)
    // The document client refuses a client that caches its middleware: the plain one must stay plain.
    expect(client.config.cacheMiddleware).to.not.equal(true)
    expect(() => documentClientFor(client)).not.to.throw()
    const withQueryClient = new MessagesTable({client, name: 'cruddur-messages', queryClient})
    expect(withQueryClient.withCache(undefined).queryClient).to.equal(queryClient)
    client.destroy()
  })

  it('resolves credentials once for both clients (a credential_process runs once)', async () => {
    let resolved = 0
    const credentials = async () => {
      resolved++
      return {accessKeyId: 'local', secretAccessKey: 'local'}
    }
    const {client, queryClient} = clientWithQueryClient({
      credentials,
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
    })
    await client.config.credentials()
    await queryClient.config.credentials()
    expect(resolved).to.equal(1)
    client.destroy()
  })

  it('refuses to be made without any client', () => {
    expect(() => new MessagesTable({name: 'cruddur-messages'})).to.throw(/needs a document client or a DynamoDB client/)
  })
})

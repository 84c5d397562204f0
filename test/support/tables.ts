import {createDynamoDbClients, type DynamoDbClients} from '../../src/lib/dynamodb/client.js'
import {MessagesTable} from '../../src/lib/dynamodb/messages-table.js'
import {dropTable, loadTableSchema} from '../../src/lib/dynamodb/table-admin.js'
import {testStack} from '../hooks.js'

/** The clients of the test stack's DynamoDB Local, with `table` as their table. */
export function testDynamoDbClients(table: string): DynamoDbClients {
  return createDynamoDbClients({
    endpoint: testStack().dynamodbEndpoint,
    ignoredEnv: [],
    kind: 'local',
    region: 'us-east-1',
    source: 'flag',
    table,
  })
}

/** A messages table of its own for a test file: created as `schema-load` does; `drop()` removes it. */
export async function createTestTable(
  name: string,
): Promise<{ddb: DynamoDbClients; messagesTable: MessagesTable; drop: () => Promise<void>}> {
  const ddb = testDynamoDbClients(name)
  await loadTableSchema(ddb.client, {tableName: name})
  return {
    ddb,
    async drop() {
      await dropTable(ddb.client, name, {ifExists: true})
      ddb.client.destroy()
      ddb.queryClient.destroy()
    },
    messagesTable: new MessagesTable({client: ddb.client, doc: ddb.doc, name, queryClient: ddb.queryClient}),
  }
}

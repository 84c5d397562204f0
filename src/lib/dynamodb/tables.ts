import {type DynamoDBClient, paginateListTables} from '@aws-sdk/client-dynamodb'

/** Every table name, following ListTables pagination (100 names a page). */
export async function listTables(client: DynamoDBClient): Promise<string[]> {
  const names: string[] = []
  for await (const page of paginateListTables({client}, {})) names.push(...(page.TableNames ?? []))
  return names
}

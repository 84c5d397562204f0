import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {defaultCacheDir} from '../../src/lib/paths.js'
import {readState} from '../../src/lib/stack-state.js'
import {localDatabaseUrl} from '../../src/lib/local/postgres.js'
import {removeLocalStack, startLocalStack} from '../../src/lib/local/stack.js'

/** An ephemeral local stack on free ports, in a fresh directory: no two test runs share anything. */
export interface TestStack {
  stateDir: string
  dynamodbEndpoint: string
  databaseUrl: string
  dynamodbPort: number
  postgresPort: number
  cognitoEndpoint: string
  cognitoPort: number
  /** The local user pool `local start` created, with the seed users in it. */
  userPoolId: string
}

export async function startTestStack(): Promise<TestStack> {
  const stateDir = mkdtempSync(join(tmpdir(), 'cruddur-test-'))
  await startLocalStack({
    cacheDir: defaultCacheDir(),
    inMemory: true,
    ports: {cognito: 0, dynamodb: 0, momento: 0, postgres: 0},
    stateDir,
  })
  const state = readState(stateDir)
  return {
    cognitoEndpoint: state.cognito!.endpoint,
    cognitoPort: state.cognito!.port,
    userPoolId: state.cognito!.userPoolId!,
    databaseUrl: localDatabaseUrl(state.postgres!.port),
    dynamodbEndpoint: state.dynamodb!.endpoint,
    dynamodbPort: state.dynamodb!.port,
    postgresPort: state.postgres!.port,
    stateDir,
  }
}

export async function stopTestStack(stack: TestStack): Promise<void> {
  await removeLocalStack(stack.stateDir)
}

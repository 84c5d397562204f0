import {CruddurError} from './errors.js'

/**
 * How long any network call may take, and how long writers keep retrying a DynamoDB that refuses work.
 * Read from the environment (seconds, decimals allowed), so the CLI, the tests and the Lambda share them.
 */
export interface Timeouts {
  /** Opening a connection (TCP, and PostgreSQL's startup handshake). */
  connectMs: number
  /** One request or query, from sending it to its whole answer. */
  requestMs: number
  /** How long seeding and batch writers retry throttling, 500s and dropped connections before giving up. */
  retryMs: number
}

export const TIMEOUT_SETTINGS = {
  connectMs: {env: 'CRUDDUR_CONNECT_TIMEOUT', defaultSeconds: 5},
  requestMs: {env: 'CRUDDUR_REQUEST_TIMEOUT', defaultSeconds: 30},
  retryMs: {env: 'CRUDDUR_RETRY_TIMEOUT', defaultSeconds: 120},
} as const

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback * 1000
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) {
    throw new CruddurError(
      'INVALID_INPUT',
      `${name}="${raw}" is not a number of seconds: set it to a positive number, e.g. ${name}=${fallback}.`,
    )
  }

  return Math.round(value * 1000)
}

export function timeouts(env: NodeJS.ProcessEnv = process.env): Timeouts {
  return {
    connectMs: seconds(env, TIMEOUT_SETTINGS.connectMs.env, TIMEOUT_SETTINGS.connectMs.defaultSeconds),
    requestMs: seconds(env, TIMEOUT_SETTINGS.requestMs.env, TIMEOUT_SETTINGS.requestMs.defaultSeconds),
    retryMs: seconds(env, TIMEOUT_SETTINGS.retryMs.env, TIMEOUT_SETTINGS.retryMs.defaultSeconds),
  }
}

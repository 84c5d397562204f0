import pg from 'pg'

import {timeouts} from '../timeouts.js'

/**
 * A small pool: the CLI runs a handful of queries. Every connect and query has a time limit, so a server
 * that accepts and never answers is an error, not a hang.
 */
export function createPool(url: string, env: NodeJS.ProcessEnv = process.env): pg.Pool {
  const {connectMs, requestMs} = timeouts(env)
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: connectMs,
    max: 4,
    // query_timeout: the client stops waiting; statement_timeout: the server stops working on it.
    query_timeout: requestMs,
    statement_timeout: requestMs,
  })
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {})
  // Nor a checked-out one (a server dying mid-transaction): its pending query rejects with the error, which
  // is translated like any other; without a listener Node would throw the event instead.
  pool.on('connect', (client) => client.on('error', () => {}))
  return pool
}

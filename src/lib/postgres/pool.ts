import pg from 'pg'

/** A small pool: the CLI runs a handful of queries; a failed connect should surface fast. */
export function createPool(url: string): pg.Pool {
  const pool = new pg.Pool({connectionString: url, max: 4, connectionTimeoutMillis: 5000})
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {})
  return pool
}

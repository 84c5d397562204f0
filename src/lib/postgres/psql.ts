import {CruddurError} from '../errors.js'

/**
 * How psql reaches a PostgreSQL URL without a secret on its command line, which other users of the machine can
 * read (`ps`, /proc): the password, from the URL's userinfo or its `password` parameter, goes in PGPASSWORD.
 * libpq has no variable for `sslpassword`, so a URL holding one is refused; psql asks for the passphrase itself.
 */
export function psqlConnection(databaseUrl: string): {url: string; password?: string} {
  const url = new URL(databaseUrl)
  if (url.searchParams.has('sslpassword'))
    throw new CruddurError(
      'INVALID_INPUT',
      "The PostgreSQL URL's sslpassword would be on psql's command line, where other users can read it: " +
        "leave it out of the URL, and psql asks for the key's passphrase.",
    )
  const password = url.password ? decodeURIComponent(url.password) : (url.searchParams.get('password') ?? undefined)
  url.password = ''
  url.searchParams.delete('password')
  return {url: url.toString(), ...(password ? {password} : {})}
}

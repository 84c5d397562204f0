/** Replaces the password of a connection URL with `****`, so a URL can be shown or logged. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (!parsed.password) return url
    parsed.password = '****'
    return parsed.toString()
  } catch {
    // Not a URL we can parse: hide anything that looks like user:password@.
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:****@')
  }
}

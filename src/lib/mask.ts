/**
 * Query parameters that carry a secret: pg reads `password` and `sslpassword` from a URL's query, and
 * presigned AWS URLs carry signatures and credentials.
 */
const SECRET_PARAMETER =
  /([?&;][^=&#\s]*?(?:password|passwd|pwd|secret|token|signature|credential|api[-_]?key)[^=&#\s]*=)[^&#\s]*/gi
const SCHEME = /^[a-z][a-z\d+.-]*:\/\//i

/**
 * Hides the secrets of a URL (or of a `user:password@host:port` endpoint), so it can be shown or logged:
 * the password of its userinfo, a userinfo without a user name, and `password=`-like query parameters.
 * Works on the text as typed, not on a parse: a password holding `@`, `#`, `/` or `%` unencoded makes
 * a parser see another host, path or fragment, and leak the rest. The userinfo ends at the last `@`
 * (a host never holds one); masking too much beats showing a secret.
 */
export function maskUrl(url: string): string {
  const scheme = SCHEME.exec(url)?.[0] ?? ''
  const at = url.lastIndexOf('@')
  if (at < scheme.length) return url.replaceAll(SECRET_PARAMETER, '$1****')
  const userinfo = url.slice(scheme.length, at)
  const colon = userinfo.indexOf(':')
  // A PostgreSQL user name alone is no secret; anywhere else a lone userinfo is usually a token.
  const user = colon === -1 ? (/^postgres(ql)?:/i.test(scheme) ? userinfo : '') : userinfo.slice(0, colon)
  const shown = colon === -1 && user ? user : `${user ? `${user}:` : ''}****`
  return `${scheme}${shown}@${url.slice(at + 1).replaceAll(SECRET_PARAMETER, '$1****')}`
}

/** Masks every URL in a text (an error message, a stack trace), each as maskUrl does. */
export function maskSecrets(text: string): string {
  return text.replaceAll(/\b[a-z][a-z\d+.-]*:\/\/[^\s"'`<>]+/gi, (url) => maskUrl(url))
}

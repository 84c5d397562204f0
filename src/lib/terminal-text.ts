/**
 * Control characters that would act on a terminal instead of showing: C0 (ESC starts every escape
 * sequence), DEL, C1, and the Unicode format characters that reorder or hide text (bidi overrides and
 * isolates, line and paragraph separators, zero-width marks).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/g
// eslint-disable-next-line no-control-regex -- as above, line feeds and tabs included
const CONTROL_OR_NEWLINE = /[\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/g

const NAMED: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}
const escape = (char: string) =>
  NAMED[char] ??
  (char.charCodeAt(0) <= 0xff
    ? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`
    : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)

/**
 * Text from the table or the user, made safe to print on a terminal: control characters show as escapes
 * (`\x1b`, `\u202e`), so stored text cannot retitle the window, clear the screen, reorder a line or forge
 * one. `multiline` keeps line feeds and tabs, for cells that wrap. `--json` and ndjson print the exact text.
 */
export function visible(text: string, options: {multiline?: boolean} = {}): string {
  return text.replaceAll(options.multiline ? CONTROL : CONTROL_OR_NEWLINE, escape)
}

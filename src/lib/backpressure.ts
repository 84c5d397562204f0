import {once} from 'node:events'
import type {Writable} from 'node:stream'

/**
 * Writes `text` to `out`, waiting for a slow reader instead of buffering in memory. A stream that is already
 * gone (its reader closed the pipe: EPIPE) throws its error instead of waiting for a 'drain' that never comes.
 */
export async function writeWithBackpressure(out: Writable, text: string): Promise<void> {
  if (out.destroyed) throw out.errored ?? new Error('the output stream is closed')
  if (!out.write(text)) await once(out, 'drain')
}

/** Waits `ms`, or less when `signal` aborts (so Ctrl-C ends a wait at once). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }

    signal?.addEventListener('abort', done, {once: true})
  })

/** Full jitter: a random wait up to the capped exponential step, so retries that collided do not retry in step. */
export const jitterMs = (attempt: number, {baseMs = 10, capMs = 500} = {}) =>
  Math.random() * Math.min(capMs, baseMs * 2 ** attempt)

/** Waits a full-jitter backoff before retry `attempt` of a write that lost a race (or was throttled). */
export const backoff = (attempt: number, options?: {baseMs?: number; capMs?: number}) =>
  sleep(jitterMs(attempt, options))

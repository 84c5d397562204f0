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

export interface BackoffOptions {
  /** The first step; each attempt doubles it. */
  baseMs?: number
  /** The longest step. */
  capMs?: number
  /** Off: wait the whole step (a lone retrier has no one to fall out of step with). */
  jitter?: boolean
}

/**
 * The wait before retry `attempt`: the exponential step, capped; with full jitter (the default) a random wait
 * up to it, so retries that collided do not retry in step.
 */
export function backoffMs(attempt: number, {baseMs = 10, capMs = 500, jitter = true}: BackoffOptions = {}): number {
  const step = Math.min(capMs, baseMs * 2 ** attempt)
  return jitter ? Math.random() * step : step
}

/** Waits the backoff before retry `attempt` of a write that lost a race (or was throttled), or less on `signal`. */
export const backoff = (attempt: number, options?: BackoffOptions, signal?: AbortSignal) =>
  sleep(backoffMs(attempt, options), signal)

/** How often a write that keeps losing races to other writers tries before it gives up. */
export const MAX_RACE_ATTEMPTS = 30

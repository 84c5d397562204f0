/**
 * An abort signal that Ctrl-C (SIGINT) or SIGTERM fires, for loops that run until stopped: they finish the
 * step in hand and return their summary instead of dying mid-write. `dispose()` removes the listeners.
 */
export function abortOnSignals(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): {
  dispose: () => void
  signal: AbortSignal
} {
  const controller = new AbortController()
  const stop = () => controller.abort()
  for (const name of signals) process.once(name, stop)
  return {
    dispose() {
      for (const name of signals) process.off(name, stop)
    },
    signal: controller.signal,
  }
}

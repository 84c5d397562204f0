import {createConnection, createServer} from 'node:net'

/** True when nothing listens on the port (on any interface). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({port, exclusive: true}, () => server.close(() => resolve(true)))
  })
}

/** A port the operating system says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({port: 0, host: '127.0.0.1'}, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({host, port})
    const done = (result: boolean) => {
      socket.destroy()
      resolve(result)
    }

    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** Waits until the port accepts connections, failing early when `stillRunning` says the process died. */
export async function waitForPort(port: number, options: {timeoutMs: number; stillRunning: () => boolean}): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  while (Date.now() < deadline) {
    if (await isListening(port)) return
    if (!options.stillRunning()) throw new Error('the process exited before it listened')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  throw new Error(`nothing listened on port ${port} after ${options.timeoutMs / 1000}s`)
}

/**
 * The port to start a service on: the one asked for (an error if taken), else the default, else — when
 * the default is taken by something else — a free one.
 */
export async function choosePort(service: string, requested: number | undefined, defaultPort: number): Promise<{port: number; note?: string}> {
  if (requested !== undefined) {
    if (requested === 0) return {port: await freePort()}
    if (!(await isPortFree(requested))) {
      throw new PortTakenError(`Port ${requested} for ${service} is already in use: pick another port, or stop what uses it.`)
    }

    return {port: requested}
  }

  if (await isPortFree(defaultPort)) return {port: defaultPort}
  const port = await freePort()
  return {port, note: `port ${defaultPort} is taken, so ${service} uses ${port}`}
}

export class PortTakenError extends Error {}

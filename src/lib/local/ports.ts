import {createConnection, createServer} from 'node:net'

import {sleep} from '../sleep.js'

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

/** How to ask a service for a real answer: the first bytes a client sends. */
export type Protocol = 'http' | 'postgres' | 'grpc'

const FIRST_BYTES: Record<Protocol, Buffer> = {
  // Any HTTP answer will do (DynamoDB Local and cognito-local answer GET / with an error document).
  http: Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'),
  // An SSLRequest: the server answers one byte, S or N.
  postgres: Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]),
  // The HTTP/2 preface and an empty SETTINGS frame: a gRPC server answers with its own SETTINGS.
  grpc: Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]),
}

/**
 * True when the service on 127.0.0.1:port answers a real request within the timeout. An open port is not
 * enough: a frozen process (SIGSTOP, a full GC) still accepts connections through the kernel.
 */
export function answers(port: number, protocol: Protocol, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({host: '127.0.0.1', port})
    const timer = setTimeout(() => done(false), timeoutMs)
    function done(result: boolean) {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }

    socket.once('connect', () => socket.write(FIRST_BYTES[protocol]))
    socket.once('data', () => done(true))
    socket.once('error', () => done(false))
    socket.once('close', () => done(false))
  })
}

/** Waits until the service answers a real request, failing early when `stillRunning` says the process died. */
export async function waitForPort(
  port: number,
  options: {timeoutMs: number; stillRunning: () => boolean; protocol: Protocol},
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  while (Date.now() < deadline) {
    if (await answers(port, options.protocol)) return
    if (!options.stillRunning()) throw new Error('the process exited before it answered')
    await sleep(100)
  }

  throw new Error(`nothing answered on port ${port} after ${options.timeoutMs / 1000}s`)
}

/**
 * The port to start a service on: the one asked for (an error if taken), else the default, else — when
 * the default is taken by something else — a free one.
 */
export async function choosePort(
  service: string,
  requested: number | undefined,
  defaultPort: number,
): Promise<{port: number; note?: string}> {
  if (requested !== undefined) {
    if (requested === 0) return {port: await freePort()}
    if (!(await isPortFree(requested))) {
      throw new PortTakenError(
        `Port ${requested} for ${service} is already in use: pick another port, or stop what uses it.`,
      )
    }

    return {port: requested}
  }

  if (await isPortFree(defaultPort)) return {port: defaultPort}
  const port = await freePort()
  return {port, note: `port ${defaultPort} is taken, so ${service} uses ${port}`}
}

export class PortTakenError extends Error {}

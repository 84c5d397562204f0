import net, {type AddressInfo, type Socket} from 'node:net'

export interface TcpFault {
  port: number
  /** Connections accepted so far. */
  connections: number
  close(): Promise<void>
}

async function listen(server: net.Server, sockets: Set<Socket>, fault: TcpFault): Promise<TcpFault> {
  server.on('connection', (socket) => {
    fault.connections++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fault.port = (server.address() as AddressInfo).port
  fault.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  return fault
}

/** A server that accepts every connection and never answers: a frozen engine, as seen from its clients. */
export function startSilentServer(): Promise<TcpFault> {
  const sockets = new Set<Socket>()
  const server = net.createServer((socket) => socket.resume())
  return listen(server, sockets, {close: async () => {}, connections: 0, port: 0})
}

/**
 * A TCP proxy to `targetPort` that, once the client sends bytes containing `trigger`, drops both sides of that
 * connection: the server dying in the middle of a command, as its client sees it.
 */
export function startDroppingProxy(targetPort: number, trigger: string): Promise<TcpFault> {
  const sockets = new Set<Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1')
    sockets.add(upstream)
    upstream.on('error', () => client.destroy())
    upstream.on('close', () => sockets.delete(upstream))
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes(trigger)) {
        upstream.destroy()
        client.destroy()
      } else {
        upstream.write(chunk)
      }
    })
    client.on('close', () => upstream.destroy())
    upstream.pipe(client)
  })
  return listen(server, sockets, {close: async () => {}, connections: 0, port: 0})
}

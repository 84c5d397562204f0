import {createServer, request, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * An HTTP front for DynamoDB Local that answers the first GetRecords of every shard iterator with an empty
 * page and that same iterator as the next one — as DynamoDB Streams may, with records further on. Everything
 * else (and the second call with the iterator) goes to DynamoDB Local unchanged.
 */
export async function startEmptyPageProxy(
  target: string,
): Promise<{endpoint: string; emptyPages: () => number; close: () => Promise<void>}> {
  const upstream = new URL(target)
  const seen = new Set<string>()
  let emptyPages = 0
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const body = Buffer.concat(chunks)
      if (String(incoming.headers['x-amz-target']).endsWith('.GetRecords')) {
        const iterator = (JSON.parse(body.toString('utf8')) as {ShardIterator: string}).ShardIterator
        if (!seen.has(iterator)) {
          seen.add(iterator)
          emptyPages++
          outgoing.writeHead(200, {'content-type': 'application/x-amz-json-1.0'})
          outgoing.end(JSON.stringify({NextShardIterator: iterator, Records: []}))
          return
        }
      }

      const forwarded = request(
        {
          headers: incoming.headers,
          hostname: upstream.hostname,
          method: incoming.method,
          path: incoming.url,
          port: upstream.port,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(outgoing)
        },
      )
      forwarded.on('error', () => outgoing.destroy())
      forwarded.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
    emptyPages: () => emptyPages,
    endpoint: `http://127.0.0.1:${port}`,
  }
}

import http from 'node:http'
import type {AddressInfo, Socket} from 'node:net'

/**
 * What the proxy can do to one request instead of (or besides) forwarding it, as DynamoDB itself would:
 * - `throughput`: 400 ProvisionedThroughputExceededException
 * - `throttling`: 400 ThrottlingException
 * - `error500`: 500 InternalServerError
 * - `partial`: for BatchWriteItem, forward only part of the batch and return the rest as UnprocessedItems
 * - `reset`: forward the request, then drop the connection before answering (written, but the writer cannot know)
 * - `freeze`: accept the request and never answer
 * - `expiredIterator`: 400 ExpiredIteratorException (for GetRecords, as DynamoDB Streams answers a stale iterator)
 * - `trimmedData`: 400 TrimmedDataAccessException (as DynamoDB Streams answers a position past its 24-hour window)
 */
export type Fault =
  'throughput' | 'throttling' | 'error500' | 'partial' | 'reset' | 'freeze' | 'expiredIterator' | 'trimmedData'

export interface FaultProxyOptions {
  /** DynamoDB Local's endpoint, e.g. http://localhost:8000. */
  target: string
  /** Chance of each fault per request (0–1); their sum is the chance of any fault. */
  rates?: Partial<Record<Fault, number>>
  /** Faults for the first requests, in order (`undefined` or 'pass' forwards that one); after them, `rates` apply. */
  script?: Array<Fault | 'pass' | undefined>
  /** Only requests for these operations (X-Amz-Target without the prefix, e.g. BatchWriteItem) get faults. */
  operations?: string[]
  /** A seeded generator, so a failing run can be replayed. */
  seed?: number
}

export interface FaultProxy {
  endpoint: string
  /** Requests seen (in all and by operation), and faults injected by kind. */
  stats: {requests: number; operations: Record<string, number>; faults: Partial<Record<Fault, number>>}
  /** Changes the rates or the script for the requests to come. */
  configure(options: Pick<FaultProxyOptions, 'rates' | 'script' | 'operations'>): void
  close(): Promise<void>
}

const JSON_TYPE = 'application/x-amz-json-1.0'
const ERRORS: Record<
  'throughput' | 'throttling' | 'error500' | 'expiredIterator' | 'trimmedData',
  {status: number; type: string; message: string}
> = {
  error500: {
    message: 'Internal server error',
    status: 500,
    type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
  },
  expiredIterator: {
    message: 'Iterator expired. The iterator was created more than 15 minutes ago.',
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ExpiredIteratorException',
  },
  throttling: {
    message: 'Rate of requests exceeds the allowed throughput.',
    status: 400,
    type: 'com.amazon.coral.availability#ThrottlingException',
  },
  trimmedData: {
    message: 'The operation attempted to read past the oldest stream record in a shard.',
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException',
  },
  throughput: {
    message:
      'The level of configured provisioned throughput for the table was exceeded. ' +
      'Consider increasing your provisioning level with the UpdateTable API.',
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  },
}

/** mulberry32: small, seeded, good enough to pick faults. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** An HTTP proxy in front of DynamoDB Local that injects DynamoDB's failures, by rate or by script. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target)
  let {operations, rates = {}} = options
  let script = [...(options.script ?? [])]
  const next = random(options.seed ?? 1)
  const stats: FaultProxy['stats'] = {faults: {}, operations: {}, requests: 0}
  const sockets = new Set<Socket>()
  const upstream = new http.Agent({keepAlive: true})

  function pick(operation: string): Fault | undefined {
    if (operations && !operations.includes(operation)) return undefined
    if (script.length > 0) {
      // A scripted partial batch waits for the next BatchWriteItem.
      if (script[0] === 'partial' && operation !== 'BatchWriteItem') return undefined
      const scripted = script.shift()
      return scripted === 'pass' ? undefined : scripted
    }

    let roll = next()
    for (const [fault, rate] of Object.entries(rates) as Array<[Fault, number]>) {
      if (roll < rate) return fault
      roll -= rate
    }

    return undefined
  }

  function forward(
    req: http.IncomingMessage,
    body: Buffer,
  ): Promise<{status: number; headers: http.IncomingHttpHeaders; body: Buffer}> {
    return new Promise((resolve, reject) => {
      const headers = {...req.headers, 'content-length': String(body.length), host: target.host}
      const request = http.request(
        {agent: upstream, headers, hostname: target.hostname, method: req.method, path: req.url, port: target.port},
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () =>
            resolve({body: Buffer.concat(chunks), headers: response.headers, status: response.statusCode ?? 502}),
          )
          response.on('error', reject)
        },
      )
      request.on('error', reject)
      request.end(body)
    })
  }

  function answer(res: http.ServerResponse, status: number, headers: http.IncomingHttpHeaders, body: Buffer): void {
    // The SDK checks x-amz-crc32 against the body when present: a rewritten body must not carry the old one.
    const rest = Object.fromEntries(
      Object.entries(headers).filter(
        ([name]) => !['x-amz-crc32', 'content-length', 'transfer-encoding'].includes(name),
      ),
    )
    res.writeHead(status, {...rest, 'content-length': String(body.length)})
    res.end(body)
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    let body = Buffer.concat(chunks)
    stats.requests++
    const operation =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? ''
    stats.operations[operation] = (stats.operations[operation] ?? 0) + 1
    let fault = pick(operation)
    if (fault === 'partial' && operation !== 'BatchWriteItem') fault = 'throughput'
    if (fault) stats.faults[fault] = (stats.faults[fault] ?? 0) + 1

    switch (fault) {
      case 'freeze': {
        return
      }

      case 'throughput':
      case 'throttling':
      case 'error500':
      case 'expiredIterator':
      case 'trimmedData': {
        const {message, status, type} = ERRORS[fault]
        answer(
          res,
          status,
          {
            'content-type': JSON_TYPE,
            'x-amzn-errortype': type.split('#')[1],
            'x-amzn-requestid': `fault-${stats.requests}`,
          },
          Buffer.from(JSON.stringify({__type: type, message})),
        )
        return
      }

      case 'reset': {
        await forward(req, body)
        req.socket.destroy()
        return
      }

      case 'partial': {
        // Forward the first half of each table's requests; hand back the rest as DynamoDB does when it runs short.
        const request = JSON.parse(body.toString()) as {RequestItems: Record<string, unknown[]>}
        const unprocessed: Record<string, unknown[]> = {}
        for (const [table, writes] of Object.entries(request.RequestItems)) {
          const keep = Math.floor(writes.length / 2)
          unprocessed[table] = writes.slice(keep)
          request.RequestItems[table] = writes.slice(0, keep)
          if (keep === 0) delete request.RequestItems[table]
        }

        let result: Record<string, unknown> = {UnprocessedItems: {}}
        if (Object.keys(request.RequestItems).length > 0) {
          body = Buffer.from(JSON.stringify(request))
          const forwarded = await forward(req, body)
          if (forwarded.status !== 200) return answer(res, forwarded.status, forwarded.headers, forwarded.body)
          result = JSON.parse(forwarded.body.toString()) as Record<string, unknown>
        }

        const merged = {...(result.UnprocessedItems as Record<string, unknown[]>)}
        for (const [table, writes] of Object.entries(unprocessed)) merged[table] = [...(merged[table] ?? []), ...writes]
        answer(
          res,
          200,
          {'content-type': JSON_TYPE},
          Buffer.from(JSON.stringify({...result, UnprocessedItems: merged})),
        )
        return
      }

      default: {
        const forwarded = await forward(req, body)
        answer(res, forwarded.status, forwarded.headers, forwarded.body)
      }
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy())
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        upstream.destroy()
        server.close(() => resolve())
      }),
    configure(changes) {
      if (changes.operations) operations = changes.operations
      if (changes.rates) rates = changes.rates
      if (changes.script) script = [...changes.script]
    },
    endpoint: `http://127.0.0.1:${port}`,
    stats,
  }
}

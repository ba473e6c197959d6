import { createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from './errors.js'

/**
 * Marks a request one server process forwarded to another. The receiving process answers it
 * itself, whatever it finds: a forwarded request is never forwarded again.
 */
export const FORWARDED_HEADER = 'x-zapini-forwarded'

/** Whether the request came from another process of this server (see `FORWARDED_HEADER`). */
export function wasForwarded(request: FastifyRequest): boolean {
  return request.headers[FORWARDED_HEADER] !== undefined
}

/** How long a forwarded request's mark is good for: clocks of one cluster agree this well. */
const SEAL_SECONDS = 60

/**
 * Proves that a request was forwarded by a process of this server, for the client it names: the
 * mark is signed with a key derived from APP_KEY, which every process of one server shares, and
 * is good for a minute. The rate limits, already applied where the request arrived, let such a
 * request through. A mark anyone else writes proves nothing.
 */
export interface ForwardingSeal {
  /** The value of `FORWARDED_HEADER` for a request from `clientIp`. */
  seal(clientIp: string, method: string, url: string): string
  /** The client address a genuine, fresh mark on this request vouches for; null otherwise. */
  clientOf(request: FastifyRequest): string | null
}

export function createForwardingSeal(appKeyBase64: string, now: () => number = Date.now): ForwardingSeal {
  const key = createHmac('sha256', Buffer.from(appKeyBase64, 'base64'))
    .update('zapini request forwarding')
    .digest()
  const sign = (at: number, ip: string, method: string, url: string) =>
    createHmac('sha256', key).update(`${at}\n${ip}\n${method}\n${url}`).digest('base64url')
  return {
    seal(clientIp, method, url) {
      const at = Math.floor(now() / 1000)
      return `t=${at};ip=${clientIp};sig=${sign(at, clientIp, method, url)}`
    },
    clientOf(request) {
      const mark = request.headers[FORWARDED_HEADER]
      if (typeof mark !== 'string') return null
      const parts = /^t=(\d{1,12});ip=([0-9A-Fa-f.:]{1,64});sig=([A-Za-z0-9_-]{43})$/.exec(mark)
      if (!parts) return null
      const at = Number(parts[1])
      if (Math.abs(now() / 1000 - at) > SEAL_SECONDS) return null
      const expected = Buffer.from(sign(at, parts[2]!, request.method, request.originalUrl))
      const given = Buffer.from(parts[3]!)
      return given.length === expected.length && timingSafeEqual(given, expected) ? parts[2]! : null
    },
  }
}

/**
 * The request needs the live connection of an instance that another process holds, reachable at
 * `address`: the error handler forwards the request there and relays the answer. Thrown only
 * before the request changed anything, so that the owner does all of it once.
 */
export class HeldElsewhere extends AppError {
  constructor(readonly address: string) {
    super('SERVICE_UNAVAILABLE', 'The instance is held by another server process.')
    this.name = 'HeldElsewhere'
  }
}

/** Headers that describe one connection, not the request (RFC 9110 §7.6.1), and the ones recomputed here. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'expect',
])

function endToEnd(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const named = String(headers['connection'] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name)) continue
    out[name] = value
  }
  return out
}

function unavailable(message: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', message)
}

/**
 * Sends the request as it came (method, original URL with the instance-host form, Host,
 * Authorization and every other end-to-end header, the JSON body) to the process at `address`,
 * and answers its answer unchanged: status, headers, body. The owner authenticates the caller
 * again with the caller's own credentials. The body is the one this process parsed and
 * validated; the owner validates it again, which changes nothing. A process that does not answer
 * within `timeoutMs`, or cannot be reached, is a 503.
 */
export async function relay(
  request: FastifyRequest,
  reply: FastifyReply,
  address: string,
  options: { timeoutMs: number; seal: ForwardingSeal },
): Promise<FastifyReply> {
  const { timeoutMs } = options
  const target = new URL(address)
  const headers = endToEnd(request.headers)
  headers[FORWARDED_HEADER] = options.seal.seal(request.ip, request.method, request.originalUrl)
  const peer = request.socket.remoteAddress
  if (peer) {
    const before = request.headers['x-forwarded-for']
    headers['x-forwarded-for'] = before ? `${String(before)}, ${peer}` : peer
  }
  let payload: Buffer | null = null
  if (request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD') {
    payload = Buffer.from(JSON.stringify(request.body))
    headers['content-type'] = 'application/json'
    headers['content-length'] = String(payload.length)
  }
  let timedOut = false
  const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
    (resolve, reject) => {
      const client = target.protocol === 'https:' ? https : http
      const outgoing = client.request(
        {
          protocol: target.protocol,
          hostname: target.hostname.replace(/^\[|\]$/g, ''),
          port: target.port || undefined,
          method: request.method,
          path: request.originalUrl,
          headers,
        },
        (incoming) => {
          const chunks: Buffer[] = []
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
          incoming.on('end', () =>
            resolve({
              status: incoming.statusCode ?? 502,
              headers: incoming.headers,
              body: Buffer.concat(chunks),
            }),
          )
          incoming.on('error', reject)
          incoming.on('close', () => {
            if (!incoming.complete) reject(new Error('the answer was cut off'))
          })
        },
      )
      const timer = setTimeout(() => {
        timedOut = true
        outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`))
      }, timeoutMs)
      timer.unref()
      outgoing.on('close', () => clearTimeout(timer))
      outgoing.on('error', reject)
      outgoing.end(payload ?? undefined)
    },
  ).catch((error: unknown) => {
    request.log.warn({ err: error, address }, 'forwarding to the process holding the instance failed')
    throw unavailable(
      timedOut
        ? `The server process holding this instance did not answer within ${timeoutMs / 1000} s; try again.`
        : 'The server process holding this instance cannot be reached; try again in a few seconds (another process takes the instance over if it is gone).',
    )
  })
  return reply.status(answer.status).headers(endToEnd(answer.headers)).send(answer.body)
}

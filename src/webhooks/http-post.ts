import dns from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { isPrivateAddress } from '../direct/media-url.js'

/** What one POST to a receiver came to. */
export interface PostResult {
  /** The receiver's HTTP status; null when no answer came (refused, timed out, blocked). */
  status: number | null
  excerpt: string | null
  error: string | null
  durationMs: number
  /** The receiver's `Retry-After`, in ms from now, when it gave one. */
  retryAfterMs: number | null
  /** Whether trying again later can help. */
  retryable: boolean
}

const EXCERPT_CHARS = 1000
const READ_LIMIT = 16 * 1024
const NOT_PUBLIC = 'the URL must point to a public internet address'

/**
 * The URL policy: http(s), no credentials, and (unless allowed) no private or loopback address.
 * With `resolve`, a host name is looked up too (when a webhook is set); each attempt checks the
 * address it actually connects to instead (see `publicOnlyLookup`).
 */
export async function urlProblem(url: URL, allowPrivate: boolean, resolve = true): Promise<string | null> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'the URL must be http or https'
  if (url.username || url.password) return 'the URL must not carry credentials'
  if (allowPrivate) return null
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host)) return isPrivateAddress(host) ? NOT_PUBLIC : null
  if (!resolve) return null
  try {
    const addresses = await dns.promises.lookup(host, { all: true })
    if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address))) return NOT_PUBLIC
  } catch {
    return 'the host name could not be resolved'
  }
  return null
}

class PrivateAddressError extends Error {}
class TimeoutError extends Error {}

/**
 * Resolves the receiver's name for the connection itself and refuses private addresses there,
 * so that a DNS answer changed after the webhook was set (DNS rebinding) cannot lead a
 * delivery into the server's own network.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0)
    if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address))) {
      return callback(new PrivateAddressError(NOT_PUBLIC), '', 0)
    }
    if (options.all) return callback(null, addresses)
    return callback(null, addresses[0]!.address, addresses[0]!.family)
  })
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

/** Keep-alive connections per receiver; idle ones close before the usual 5 s server timeout. */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 }),
}

interface Answer {
  status: number
  retryAfter: string | null
  excerpt: string
}

/** One request with node:http (keep-alive; much cheaper than fetch at thousands per second). */
function request(url: URL, headers: Record<string, string>, body: string, options: PostOptions) {
  return new Promise<Answer>((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http
    const req = lib.request(
      url,
      {
        method: 'POST',
        agent: agents[url.protocol as 'http:' | 'https:'],
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(options.allowPrivate ? {} : { lookup: publicOnlyLookup }),
      },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          // Read to the end (so that the connection can be reused) but keep only the beginning.
          if (size < READ_LIMIT) chunks.push(chunk)
          size += chunk.length
        })
        res.on('end', () => {
          clearTimeout(timer)
          const retryAfter = res.headers['retry-after']
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
            excerpt: Buffer.concat(chunks).toString('utf8').slice(0, EXCERPT_CHARS),
          })
        })
        res.on('error', reject)
      },
    )
    const timer = setTimeout(() => req.destroy(new TimeoutError()), options.timeoutMs)
    req.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    req.end(body)
  })
}

interface PostOptions {
  timeoutMs: number
  allowPrivate: boolean
}

function failure(error: unknown, timeoutMs: number): { error: string; retryable: boolean } {
  if (error instanceof TimeoutError) return { error: `timed out after ${timeoutMs} ms`, retryable: true }
  if (error instanceof PrivateAddressError) return { error: NOT_PUBLIC, retryable: false }
  const code = (error as { code?: string }).code
  if (code) return { error: `connection failed (${code})`, retryable: true }
  return { error: error instanceof Error ? error.message : 'network error', retryable: true }
}

/**
 * One POST: a 2xx within the timeout is success. 408, 429, 5xx and network failures are worth
 * retrying; other answers (4xx, redirects, which are not followed) mean the receiver refuses.
 */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: PostOptions,
): Promise<PostResult> {
  const started = performance.now()
  const done = (partial: Omit<PostResult, 'durationMs'>): PostResult => ({
    ...partial,
    durationMs: Math.round(performance.now() - started),
  })
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return done({ status: null, excerpt: null, error: 'invalid URL', retryAfterMs: null, retryable: false })
  }
  const problem = await urlProblem(parsed, options.allowPrivate, false)
  if (problem)
    return done({ status: null, excerpt: null, error: problem, retryAfterMs: null, retryable: false })
  try {
    const answer = await request(parsed, headers, body, options)
    const { status } = answer
    const ok = status >= 200 && status < 300
    const retryable = status === 408 || status === 429 || status >= 500
    const error = ok
      ? null
      : status >= 300 && status < 400
        ? `redirect (${status}) not followed`
        : `HTTP ${status}`
    return done({
      status,
      excerpt: answer.excerpt,
      error,
      retryAfterMs: retryable ? parseRetryAfter(answer.retryAfter, Date.now()) : null,
      retryable,
    })
  } catch (error) {
    return done({ status: null, excerpt: null, retryAfterMs: null, ...failure(error, options.timeoutMs) })
  }
}

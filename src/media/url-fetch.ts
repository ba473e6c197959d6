import { type LookupAddress, lookup as lookupCallback } from 'node:dns'
import { lookup } from 'node:dns/promises'
import http from 'node:http'
import https from 'node:https'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import path from 'node:path'
import { AppError, validationError } from '../http/errors.js'

/** Documents may be up to 100 MB on WhatsApp; nothing larger is worth downloading. */
export const MAX_MEDIA_BYTES = 100 * 1024 * 1024

/** Decides whether a media URL may be fetched; throws an AppError when it may not. */
export type MediaUrlCheck = (url: URL, field: string) => Promise<void>

export interface FetchedMedia {
  data: Buffer
  /** The Content-Type the server gave, without parameters; null when it gave none useful. */
  mimetype: string | null
  /** The last path segment of the URL, when it looks like a file name. */
  fileName: string | null
}

/** A response whose body is still to be read: the caller streams it (and enforces its own limit). */
export interface OpenedMedia extends Omit<FetchedMedia, 'data'> {
  body: AsyncIterable<Buffer>
  /** The Content-Length the server declared, if any. */
  declaredSize: number | null
}

export type MediaFetcher = (url: string, field: string) => Promise<FetchedMedia>
export type MediaOpener = (url: string, field: string) => Promise<OpenedMedia>

export interface MediaFetchOptions {
  /**
   * Lets URLs reach loopback, private and link-local addresses. Off in production: a server
   * fetching URLs for its callers must not become a door into its own network. Tests turn it on
   * to serve media from a local HTTP server.
   */
  allowPrivateHosts?: boolean
  maxBytes?: number
  timeoutMs?: number
  maxRedirects?: number
  /** Replaces the URL check (the media module may bring its own policy). */
  check?: MediaUrlCheck
}

const PRIVATE = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6')
}

/** Whether an IP address is loopback, private, link-local or otherwise not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return true
  // BlockList matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 rules.
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

const notPublic = (field: string) =>
  validationError(field, `The ${field} field must point to a public internet address.`)

/**
 * The media URL policy: http(s) only, and (unless allowed) no host that resolves to a private,
 * loopback or link-local address. Every address the name resolves to is checked.
 */
export async function checkMediaUrl(
  url: URL,
  field: string,
  policy: { allowPrivateHosts?: boolean } = {},
): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw validationError(field, `The ${field} field must be an http or https URL.`)
  }
  if (url.username || url.password) {
    throw validationError(field, `The ${field} field must not carry credentials.`)
  }
  if (policy.allowPrivateHosts) return
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  try {
    addresses = isIP(host)
      ? [host]
      : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address)
  } catch {
    throw validationError(field, `The host of ${field} could not be resolved.`)
  }
  if (addresses.length === 0 || addresses.some(isPrivateAddress)) throw notPublic(field)
}

class PrivateAddressError extends Error {}

/**
 * Resolves names for the connection itself and refuses private addresses there: the address
 * checked is the address connected to, so a DNS answer that changes after `checkMediaUrl`
 * (DNS rebinding) cannot lead the request into the private network.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookupCallback(hostname, { ...options, all: true, verbatim: true }, (error, found) => {
    const addresses = found as unknown as LookupAddress[]
    if (error) return callback(error, '', 0)
    if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address))) {
      return callback(new PrivateAddressError(hostname), '', 0)
    }
    if (options.all) return callback(null, addresses)
    return callback(null, addresses[0]!.address, addresses[0]!.family)
  })
}

/**
 * Opens media URLs with Node's HTTP client: redirects are followed by hand so that every hop
 * passes the URL check, a declared size above `maxBytes` is refused before reading, and (unless
 * private hosts are allowed) connections go only to public addresses. The body is handed over
 * unread, for the caller to stream.
 */
export function createMediaOpener(options: MediaFetchOptions = {}): MediaOpener {
  const maxBytes = options.maxBytes ?? MAX_MEDIA_BYTES
  const timeoutMs = options.timeoutMs ?? 120_000
  const maxRedirects = options.maxRedirects ?? 5
  const allowPrivate = options.allowPrivateHosts === true
  const check: MediaUrlCheck =
    options.check ?? ((url, field) => checkMediaUrl(url, field, { allowPrivateHosts: allowPrivate }))

  return async (raw, field) => {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw validationError(field, `The ${field} field must be a valid URL.`)
    }
    const signal = AbortSignal.timeout(timeoutMs)
    const failed = (reason: string) =>
      new AppError('BAD_REQUEST', `The media could not be downloaded: ${reason}.`, {
        [field]: [`The media at ${field} could not be downloaded (${reason}).`],
      })
    const reasonOf = (error: unknown) =>
      signal.aborted ? 'timed out' : error instanceof Error ? error.message : 'network error'

    for (let hop = 0; ; hop++) {
      await check(url, field)
      let response: http.IncomingMessage
      try {
        response = await get(url, signal, allowPrivate ? undefined : publicOnlyLookup)
      } catch (error) {
        if (error instanceof PrivateAddressError) throw notPublic(field)
        throw failed(reasonOf(error))
      }
      const status = response.statusCode ?? 0
      const location = response.headers.location
      if (status >= 300 && status < 400 && location) {
        response.destroy()
        if (hop >= maxRedirects) throw failed('too many redirects')
        url = new URL(location, url)
        continue
      }
      if (status < 200 || status >= 300) {
        response.destroy()
        throw failed(`HTTP ${status}`)
      }
      const declared = Number(response.headers['content-length'] ?? Number.NaN)
      if (declared > maxBytes) {
        response.destroy()
        throw tooLarge(maxBytes)
      }
      const type = response.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
      const base = path.posix.basename(decodeSafe(url.pathname))
      return {
        body: guarded(response, (error) => failed(reasonOf(error))),
        declaredSize: Number.isFinite(declared) ? declared : null,
        mimetype: type && type !== 'application/octet-stream' ? type : null,
        fileName: /\.[a-z0-9]{1,8}$/i.test(base) ? base : null,
      }
    }
  }
}

/** Downloads media whole, cut off past `maxBytes` (for senders that need the bytes in memory). */
export function createMediaFetcher(options: MediaFetchOptions = {}): MediaFetcher {
  const maxBytes = options.maxBytes ?? MAX_MEDIA_BYTES
  const open = createMediaOpener(options)
  return async (url, field) => {
    const { body, declaredSize: _, ...rest } = await open(url, field)
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of body) {
      size += chunk.length
      // Leaving the loop closes the connection.
      if (size > maxBytes) throw tooLarge(maxBytes)
      chunks.push(chunk)
    }
    return { data: Buffer.concat(chunks), ...rest }
  }
}

export function tooLarge(maxBytes: number): AppError {
  const size =
    maxBytes >= 1024 * 1024 ? `${Math.floor(maxBytes / 1024 / 1024)} MB` : `${Math.ceil(maxBytes / 1024)} KB`
  return new AppError('FILE_TOO_LARGE', `The file is larger than ${size}.`, { max_bytes: maxBytes })
}

function get(
  url: URL,
  signal: AbortSignal,
  guard: LookupFunction | undefined,
): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const request = client.get(
      url,
      {
        signal,
        headers: { 'user-agent': 'Zapini-Media/1.0', accept: '*/*' },
        ...(guard ? { lookup: guard } : {}),
      },
      resolve,
    )
    request.on('error', reject)
  })
}

/** The response body, its failures turned into the caller's error; stopping early closes it. */
async function* guarded(
  response: http.IncomingMessage,
  failure: (error: unknown) => AppError,
): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of response) yield chunk as Buffer
  } catch (error) {
    throw failure(error)
  } finally {
    response.destroy()
  }
}

function decodeSafe(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

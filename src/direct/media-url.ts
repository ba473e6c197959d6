import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import path from 'node:path'
import type { MediaKind } from '../engine/types.js'
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

export type MediaFetcher = (url: string, field: string) => Promise<FetchedMedia>

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
  if (addresses.length === 0 || addresses.some(isPrivateAddress)) {
    throw validationError(field, `The ${field} field must point to a public internet address.`)
  }
}

/**
 * Downloads media with Node's fetch: redirects are followed by hand so that every hop passes the
 * URL check, and the body is cut off past `maxBytes`. The check resolves names itself, so a DNS
 * answer that changes between the check and the connection is not caught; a proxy that pins the
 * checked address is the stronger fix when that matters.
 */
export function createMediaFetcher(options: MediaFetchOptions = {}): MediaFetcher {
  const maxBytes = options.maxBytes ?? MAX_MEDIA_BYTES
  const timeoutMs = options.timeoutMs ?? 60_000
  const maxRedirects = options.maxRedirects ?? 5
  const check: MediaUrlCheck =
    options.check ??
    ((url, field) => checkMediaUrl(url, field, { allowPrivateHosts: options.allowPrivateHosts === true }))

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

    for (let hop = 0; ; hop++) {
      await check(url, field)
      let response: Response
      try {
        response = await fetch(url, { redirect: 'manual', signal })
      } catch (error) {
        throw failed(signal.aborted ? 'timed out' : error instanceof Error ? error.message : 'network error')
      }
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel()
        if (hop >= maxRedirects) throw failed('too many redirects')
        url = new URL(location, url)
        continue
      }
      if (!response.ok) {
        await response.body?.cancel()
        throw failed(`HTTP ${response.status}`)
      }
      const declared = Number(response.headers.get('content-length') ?? Number.NaN)
      if (declared > maxBytes) {
        await response.body?.cancel()
        throw tooLarge(maxBytes)
      }
      const data = await readCapped(response, maxBytes, failed)
      const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase()
      const base = path.posix.basename(decodeSafe(url.pathname))
      return {
        data,
        mimetype: type && type !== 'application/octet-stream' ? type : null,
        fileName: /\.[a-z0-9]{1,8}$/i.test(base) ? base : null,
      }
    }
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(
    'FILE_TOO_LARGE',
    `The media is larger than ${Math.floor(maxBytes / 1024 / 1024)} MB.`,
    {
      max_bytes: maxBytes,
    },
  )
}

async function readCapped(
  response: Response,
  maxBytes: number,
  failed: (reason: string) => AppError,
): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await reader.cancel()
        throw tooLarge(maxBytes)
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof AppError) throw error
    throw failed(error instanceof Error ? error.message : 'the download broke off')
  }
  return Buffer.concat(chunks)
}

function decodeSafe(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

const DEFAULT_MIME: Record<MediaKind, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/mpeg',
  document: 'application/octet-stream',
}

const BY_EXTENSION: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  mp4: 'video/mp4',
  '3gp': 'video/3gpp',
  mov: 'video/quicktime',
  avi: 'video/x-msvideo',
  mkv: 'video/x-matroska',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  opus: 'audio/ogg; codecs=opus',
  wav: 'audio/wav',
  aac: 'audio/aac',
  m4a: 'audio/mp4',
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  txt: 'text/plain',
  zip: 'application/zip',
}

/** The MIME type to send: the server's, else one guessed from the file name, else the kind's usual one. */
export function mimetypeFor(
  kind: MediaKind,
  fetched: Pick<FetchedMedia, 'mimetype'>,
  fileName?: string | null,
) {
  if (fetched.mimetype) return fetched.mimetype
  const extension = fileName ? path.extname(fileName).slice(1).toLowerCase() : ''
  return BY_EXTENSION[extension] ?? DEFAULT_MIME[kind]
}

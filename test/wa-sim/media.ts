import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { MEDIA_TLS_CERT, MEDIA_TLS_KEY } from './media-tls.js'
import { type BinaryNode, iqResult, node } from './nodes.js'
import { Recorder } from './record.js'

export interface UploadRecord {
  path: string
  url: string
  size: number
}

const MAX_UPLOAD = 64 * 1024 * 1024

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_UPLOAD) req.destroy(new Error('upload too large'))
      else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/**
 * The media servers: clients upload encrypted blobs over HTTPS (the only scheme Baileys uses for
 * uploads), with the token from `media_conn`; blobs are served back over plain HTTP at the URL
 * the upload returned, which is what ends up in the message.
 */
export class MediaServer {
  readonly uploads = new Recorder<UploadRecord>()
  private readonly blobs = new Map<string, Buffer>()
  private readonly auth = randomBytes(18).toString('base64url')
  private readonly server: Server
  private port = 0

  constructor(private readonly downloadBase: () => string) {
    this.server = createServer({ key: MEDIA_TLS_KEY, cert: MEDIA_TLS_CERT }, (req, res) => {
      this.handleUpload(req, res).catch(() => res.writeHead(500).end())
    })
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => resolve())
    })
    this.port = (this.server.address() as AddressInfo).port
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** `host:port` clients upload to. */
  get uploadHost(): string {
    return `127.0.0.1:${this.port}`
  }

  /** Answers `xmlns="w:m"` (`media_conn`): where to upload and with which token. */
  mediaConnIq(iq: BinaryNode): BinaryNode {
    return iqResult(iq, [
      node('media_conn', { auth: this.auth, ttl: 3600, auth_ttl: 3600, max_buckets: 12 }, [
        node('host', { hostname: this.uploadHost, maxContentLengthBytes: MAX_UPLOAD }),
      ]),
    ])
  }

  /** Stores a blob and returns its download URL. */
  store(blob: Buffer): string {
    const id = randomBytes(12).toString('hex')
    this.blobs.set(id, blob)
    return `${this.downloadBase()}/m/${id}`
  }

  blobFor(url: string): Buffer | undefined {
    const id = new URL(url).pathname.split('/m/')[1]
    return id ? this.blobs.get(id) : undefined
  }

  /** Serves `GET /m/<id>` on the plain HTTP server; returns false for other paths. */
  handleDownload(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (req.method !== 'GET' || !url.pathname.startsWith('/m/')) return false
    const blob = this.blobs.get(url.pathname.slice(3))
    if (!blob) res.writeHead(404).end()
    else
      res
        .writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length })
        .end(blob)
    return true
  }

  private async handleUpload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `https://${this.uploadHost}`)
    if (req.method !== 'POST' || url.searchParams.get('auth') !== this.auth) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}')
      return
    }
    const body = await readBody(req)
    // The token names the blob by its SHA-256 (url-safe base64): reject what does not match.
    const token = url.pathname.split('/').pop() ?? ''
    const hash = createHash('sha256').update(body).digest('base64url')
    if (token.replace(/=+$/, '') !== hash) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"hash mismatch"}')
      return
    }
    const downloadUrl = this.store(body)
    this.uploads.push({ path: url.pathname, url: downloadUrl, size: body.length })
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: downloadUrl }))
  }
}

import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'vitest'
import { startTestApp, type TestApp, type TestAppOptions } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'

export interface MediaApp extends TestApp {
  /** DATA_DIR of this app: its media store is `dataDir/media`. */
  dataDir: string
  /** Every file in the media store, relative to it (temporary files included). */
  storedFiles(): string[]
}

/**
 * The test app with its own DATA_DIR, removed on close; or, for a restart, another app's DATA_DIR
 * (`dataDir`), left in place.
 */
export async function startMediaApp(options: TestAppOptions & { dataDir?: string } = {}): Promise<MediaApp> {
  const { dataDir: given, ...rest } = options
  const dataDir = given ?? fs.mkdtempSync(path.join(os.tmpdir(), 'zapini-media-'))
  const app = await startTestApp({ ...rest, env: { DATA_DIR: dataDir, ...rest.env } })
  return {
    ...app,
    dataDir,
    storedFiles() {
      const root = path.join(dataDir, 'media')
      if (!fs.existsSync(root)) return []
      return (fs.readdirSync(root, { recursive: true }) as string[]).filter((name) =>
        fs.statSync(path.join(root, name)).isFile(),
      )
    },
    async close() {
      await app.close()
      if (!given && !options.keepDatabase) fs.rmSync(dataDir, { recursive: true, force: true })
    },
    async dropDatabase() {
      await app.dropDatabase()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export interface Part {
  name: string
  value: Buffer | string
  filename?: string
  /** What the client claims; the server must not believe it. */
  contentType?: string
}

/** Posts a multipart form (parts in the given order) and answers status and parsed body. */
export async function postForm(app: TestApp, urlPath: string, token: string, parts: Part[]) {
  const form = new FormData()
  for (const part of parts) {
    if (typeof part.value === 'string' && part.filename === undefined) form.append(part.name, part.value)
    else {
      const blob = new Blob([part.value], { type: part.contentType ?? 'application/octet-stream' })
      form.append(part.name, blob, part.filename ?? 'blob')
    }
  }
  const res = await fetch(`${app.url}${urlPath}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  })
  const text = await res.text()
  let body: any = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: res.status, headers: res.headers, body }
}

export function upload(app: TestApp, token: string, file: Buffer, filename: string, extra: Part[] = []) {
  return postForm(app, '/api/v1/media/upload', token, [
    { name: 'file', value: file, filename, contentType: 'application/octet-stream' },
    ...extra,
  ])
}

/**
 * GETs a URL of the app (absolute or a path), answering the raw bytes. Each on its own connection,
 * closed after the answer: a kept-alive connection that ends a streamed answer can hold up the
 * server's close until its keep-alive timeout.
 */
export function download(app: TestApp, url: string, token?: string) {
  const target = new URL(url, app.url)
  // The signed link names the public host; the test server listens elsewhere.
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; data: Buffer }>(
    (resolve, reject) => {
      const req = http.get(
        `${app.url}${target.pathname}${target.search}`,
        { agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, data: Buffer.concat(chunks) }),
          )
          res.on('error', reject)
        },
      )
      req.on('error', reject)
    },
  )
}

/** A connected sandbox instance that sends without pauses. */
export async function sandboxInstance(app: TestApp, token: string, phone: string) {
  const created = await app.request('POST', '/api/v1/instances', {
    token,
    body: { name: 'Media', engine: 'sandbox', send_delay_min: 0, send_delay_max: 0 },
  })
  expect(created.status).toBe(201)
  const instance = created.body.data as { id: number; uuid: string }
  await eventually(async () => {
    const res = await app.request('GET', `/api/v1/instances/${instance.uuid}/qr`, { token })
    expect(res.body.data.status).toBe('qr_ready')
  })
  const scan = await app.request('POST', `/api/v1/sandbox/instances/${instance.uuid}/scan`, {
    token,
    body: { phone_number: phone },
  })
  expect(scan.status).toBe(200)
  await eventually(async () => {
    const res = await app.request('GET', `/api/v1/instances/${instance.uuid}`, { token })
    expect(res.body.data.status).toBe('connected')
  })
  return instance
}

/** A local web server with the given files by path, counting requests; `/to/<url>` redirects there. */
export async function fileServer(files: Record<string, { data: Buffer; type?: string }>) {
  const hits: string[] = []
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/'
    hits.push(url)
    if (url.startsWith('/to/')) {
      res.writeHead(302, { location: decodeURIComponent(url.slice(4)) })
      return res.end()
    }
    const file = files[url]
    if (!file) {
      res.writeHead(404)
      return res.end('not here')
    }
    res.writeHead(200, file.type ? { 'content-type': file.type } : {})
    return res.end(file.data)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    hits,
    port,
    url: (p: string) => `http://127.0.0.1:${port}${p}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

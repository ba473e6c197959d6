import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SandboxNetwork } from '../../src/engine/sandbox/index.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import {
  instanceToken,
  type SandboxPhone,
  sandboxInstance,
  sandboxPhone,
  type TestInstance,
} from './support.js'

const PHOTO = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')
const PDF = Buffer.from('%PDF-1.4 tiny test document\n')
const CAP = 64 * 1024

/** A local web server with the files the tests send, counting every request it gets. */
async function mediaServer() {
  const hits: string[] = []
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '')
    switch (req.url) {
      case '/photo.png':
        res.writeHead(200, { 'content-type': 'image/png' })
        return res.end(PHOTO)
      case '/files/report.pdf':
        // No Content-Type: the type comes from the file name.
        return res.end(PDF)
      case '/moved':
        res.writeHead(302, { location: '/photo.png' })
        return res.end()
      case '/declared-too-big':
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(CAP + 1) })
        return res.end(Buffer.alloc(CAP + 1))
      case '/streamed-too-big':
        res.writeHead(200, { 'content-type': 'video/mp4' })
        for (let i = 0; i < 20; i++) res.write(Buffer.alloc(8 * 1024))
        return res.end()
      case '/empty':
        res.writeHead(200, { 'content-type': 'image/png' })
        return res.end()
      default:
        res.writeHead(404)
        return res.end('not here')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    hits,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('POST /send-media', () => {
  const network = new SandboxNetwork()
  let files: Awaited<ReturnType<typeof mediaServer>>
  let app: TestApp
  let strict: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let me: TestInstance
  let sk: string
  let peer: SandboxPhone

  beforeAll(async () => {
    files = await mediaServer()
    // Loopback is allowed for this app only: the media comes from the local server above.
    app = await startTestApp({
      deps: { sandboxNetwork: network, mediaFetch: { allowPrivateHosts: true, maxBytes: CAP } },
    })
    strict = await startTestApp()
    owner = await app.register()
    me = await sandboxInstance(app, owner.token, { phone: '15553330001' })
    sk = await instanceToken(app, owner.token, me.uuid)
    peer = await sandboxPhone(network, '15557770002')
  })
  afterAll(async () => {
    await peer.close()
    await Promise.all([app.close(), strict.close(), files.close()])
  })

  const reached = (id: string) => network.reached({ instanceId: me.uuid, id })[0]

  it('downloads the URL and sends it; the contact gets the same bytes', async () => {
    const res = await app.request('POST', '/send-media', {
      token: owner.token,
      headers: { host: me.host },
      body: {
        recipient: '15557770002',
        media_url: files.url('/photo.png'),
        media_type: 'image',
        caption: 'Confira esta imagem!',
      },
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ success: true, message: 'Media sent successfully' })
    expect(res.body.messageId).toBe(res.body.message_id)
    expect(reached(res.body.message_id)).toMatchObject({
      type: 'image',
      caption: 'Confira esta imagem!',
      media: { mimetype: 'image/png', size: PHOTO.length },
    })
    const arrived = await peer.received(res.body.message_id)
    expect(await peer.engine.downloadMedia(arrived)).toEqual(PHOTO)
  })

  it('takes url and type as aliases, and names documents', async () => {
    const res = await app.request('POST', '/send-media', {
      token: sk,
      body: { to: '+1 555 777 0002', url: files.url('/files/report.pdf'), type: 'document' },
    })
    expect(res.status).toBe(200)
    expect(reached(res.body.message_id)).toMatchObject({
      type: 'document',
      media: { mimetype: 'application/pdf', fileName: 'report.pdf', size: PDF.length },
    })
    const named = await app.request('POST', '/send-media', {
      token: sk,
      body: {
        number: '15557770002',
        media_url: files.url('/files/report.pdf'),
        media_type: 'document',
        filename: 'Invoice 42.pdf',
      },
    })
    expect(reached(named.body.message_id)?.media?.fileName).toBe('Invoice 42.pdf')
  })

  it('follows redirects', async () => {
    const res = await app.request('POST', '/send-media', {
      token: sk,
      body: { to: '15557770002', url: files.url('/moved'), type: 'image' },
    })
    expect(res.status).toBe(200)
    expect(reached(res.body.message_id)?.media?.size).toBe(PHOTO.length)
  })

  it('refuses files past the size cap, declared or streamed, with 413', async () => {
    for (const path of ['/declared-too-big', '/streamed-too-big']) {
      const res = await app.request('POST', '/send-media', {
        token: sk,
        body: { to: '15557770002', url: files.url(path), type: 'video' },
      })
      expect(res.status, path).toBe(413)
      expect(res.body.error.code).toBe('FILE_TOO_LARGE')
    }
  })

  it('a URL that cannot be downloaded is 400, an empty file 422', async () => {
    const missing = await app.request('POST', '/send-media', {
      token: sk,
      body: { to: '15557770002', media_url: files.url('/nothing'), media_type: 'image' },
    })
    expect(missing.status).toBe(400)
    expect(missing.body.error.message).toContain('HTTP 404')
    expect(missing.body.error.details).toHaveProperty('media_url')
    const empty = await app.request('POST', '/send-media', {
      token: sk,
      body: { to: '15557770002', media_url: files.url('/empty'), media_type: 'image' },
    })
    expect(empty.status).toBe(422)
  })

  it('validates the body: recipient, URL, media type', async () => {
    const before = network.reachedTotal
    for (const [body, field] of [
      [{ media_url: files.url('/photo.png'), media_type: 'image' }, 'recipient'],
      [{ to: '15557770002', media_type: 'image' }, 'media_url'],
      [{ to: '15557770002', media_url: files.url('/photo.png') }, 'media_type'],
      [{ to: '15557770002', media_url: files.url('/photo.png'), media_type: 'sticker' }, 'media_type'],
      [{ to: '15557770002', media_url: 'ftp://example.com/a.png', media_type: 'image' }, 'media_url'],
      [{ to: '15557770002', url: 'file:///etc/passwd', type: 'document' }, 'url'],
      [{ to: '15557770002', url: 'not a url', type: 'image' }, 'url'],
      [{ to: 'nobody', url: files.url('/photo.png'), type: 'image' }, 'to'],
      [
        { to: '15557770002', url: files.url('/photo.png'), type: 'image', caption: 'c'.repeat(4097) },
        'caption',
      ],
    ] as const) {
      const res = await app.request('POST', '/send-media', { token: sk, body })
      expect(res.status, JSON.stringify(body).slice(0, 90)).toBe(422)
      expect(Object.keys(res.body.error.details)).toContain(field)
    }
    expect(network.reachedTotal).toBe(before)
  })

  it('a recipient not on WhatsApp is 422 NOT_ON_WHATSAPP', async () => {
    const res = await app.request('POST', '/send-media', {
      token: sk,
      body: { to: '15551230000', url: files.url('/photo.png'), type: 'image' },
    })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe('NOT_ON_WHATSAPP')
  })

  it('a disconnected instance answers 409 before downloading anything', async () => {
    const waiting = await sandboxInstance(app, owner.token, { connect: false })
    const before = files.hits.length
    const res = await app.request('POST', '/send-media', {
      token: owner.token,
      headers: { host: waiting.host },
      body: { to: '15557770002', url: files.url('/photo.png'), type: 'image' },
    })
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('INSTANCE_NOT_CONNECTED')
    expect(files.hits.length).toBe(before)
  })

  it('by default, URLs on loopback or private hosts are refused', async () => {
    const user = await strict.register()
    const instance = await sandboxInstance(strict, user.token, { phone: '15553330002' })
    const before = files.hits.length
    for (const url of [
      files.url('/photo.png'),
      files.url('/photo.png').replace('127.0.0.1', 'localhost'),
      'http://[::1]/photo.png',
      'http://10.1.2.3/photo.png',
      'http://169.254.169.254/latest/meta-data',
    ]) {
      const res = await strict.request('POST', '/send-media', {
        token: user.token,
        headers: { host: instance.host },
        body: { to: '15557770002', media_url: url, media_type: 'image' },
      })
      expect(res.status, url).toBe(422)
      expect(res.body.error.details.media_url[0]).toContain('public')
    }
    expect(files.hits.length).toBe(before)
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SandboxNetwork } from '../../src/engine/sandbox/index.js'
import { type SandboxPhone, sandboxPhone } from '../direct/support.js'
import type { TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import { exe, pdf, png, wav } from './files.js'
import { download, fileServer, type MediaApp, sandboxInstance, startMediaApp, upload } from './support.js'

const LIMIT = 64 * 1024
const PHOTO = png(3, 3)
const REPORT = pdf()

describe('POST /messages/send-media', () => {
  const network = new SandboxNetwork()
  let files: Awaited<ReturnType<typeof fileServer>>
  let app: MediaApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let instance: { id: number; uuid: string }
  let peer: SandboxPhone

  beforeAll(async () => {
    files = await fileServer({
      '/photo.png': { data: PHOTO, type: 'image/png' },
      // No Content-Type, and a name that lies: the bytes say PDF.
      '/files/report.bin': { data: REPORT },
      '/program.jpg': { data: exe(), type: 'image/jpeg' },
      '/big.png': { data: png(200, 120, true), type: 'image/png' },
    })
    // Loopback is allowed for this app only: the files come from the local server above.
    app = await startMediaApp({
      env: { MEDIA_MAX_BYTES: String(LIMIT) },
      deps: { sandboxNetwork: network, mediaFetch: { allowPrivateHosts: true } },
    })
    owner = await app.register()
    instance = await sandboxInstance(app, owner.token, '15553330101')
    peer = await sandboxPhone(network, '15557770102')
  })
  afterAll(async () => {
    await peer.close()
    await Promise.all([app.close(), files.close()])
  })

  const send = (body: Record<string, unknown>) =>
    app.request('POST', '/api/v1/messages/send-media', {
      token: owner.token,
      body: { instance_id: instance.uuid, recipient: '+1 555 777 0102', ...body },
    })

  /** The message once sent, and what reached the contact's phone. */
  async function delivered(uuid: string) {
    const message = await eventually(async () => {
      const res = await app.request('GET', `/api/v1/messages/${uuid}`, { token: owner.token })
      expect(res.body.data.status).toMatch(/sent|delivered|read/)
      return res.body.data
    })
    const arrived = await peer.received(message.whatsapp_message_id)
    return { message, arrived, bytes: await peer.engine.downloadMedia(arrived) }
  }

  it('sends an upload by media_id: queued like a text, the contact gets the same bytes', async () => {
    const up = (await upload(app, owner.token, PHOTO, 'photo.png')).body.data
    const res = await send({ media_id: up.id, media_type: 'image', caption: 'Confira esta imagem!' })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body.message).toBe('Message added to queue')
    expect(res.body.data).toMatchObject({
      status: 'pending',
      type: 'image',
      caption: 'Confira esta imagem!',
      media_mime_type: 'image/png',
      media_size: PHOTO.length,
      delay_seconds: expect.any(Number),
      remaining_quota: 499,
    })
    const uuid = res.body.data.uuid
    expect(res.body.data.media_url).toBe(`/api/v1/messages/${uuid}/media`)
    const { arrived, bytes } = await delivered(uuid)
    expect(arrived).toMatchObject({ type: 'image', caption: 'Confira esta imagem!' })
    expect(arrived.media?.mimetype).toBe('image/png')
    expect(bytes.equals(PHOTO)).toBe(true)
    // The sent message's file is served too.
    const file = await download(app, `/api/v1/messages/${uuid}/media`, owner.token)
    expect(file.status).toBe(200)
    expect(file.headers['content-type']).toBe('image/png')
    expect(file.data.equals(PHOTO)).toBe(true)
  })

  it('sends a URL: fetched by the server, typed by its bytes, named as asked', async () => {
    const res = await app.request('POST', '/api/v1/messages/send-media', {
      token: owner.token,
      body: {
        instance_id: instance.uuid,
        to: '15557770102',
        url: files.url('/files/report.bin'),
        type: 'document',
        filename: 'Monthly_Report.pdf',
        caption: 'Here is the monthly report',
      },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body.data).toMatchObject({
      type: 'document',
      media_mime_type: 'application/pdf',
      media_file_name: 'Monthly_Report.pdf',
    })
    const { arrived, bytes } = await delivered(res.body.data.uuid)
    expect(arrived.media).toMatchObject({ mimetype: 'application/pdf', fileName: 'Monthly_Report.pdf' })
    expect(bytes.equals(REPORT)).toBe(true)
    // A file fetched for a message belongs to it; it is no upload.
    const media = await app.database.db.selectFrom('media').selectAll().where('origin', '=', 'url').execute()
    expect(media).toHaveLength(1)
    expect((await app.request('GET', `/api/v1/media/${media[0]!.uuid}`, { token: owner.token })).status).toBe(
      404,
    )
  })

  it('takes the type from the bytes when none is given, and refuses one they contradict', async () => {
    const typed = await send({ media_url: files.url('/photo.png') })
    expect(typed.status).toBe(201)
    expect(typed.body.data.type).toBe('image')

    const queued = await app.database.db.selectFrom('messages').select('id').execute()
    const stored = app.storedFiles().length
    const up = (await upload(app, owner.token, wav(), 'voice.wav')).body.data
    for (const body of [
      { media_id: up.id, media_type: 'image' },
      { media_url: files.url('/photo.png'), media_type: 'video' },
      { media_url: files.url('/program.jpg'), media_type: 'image' },
    ]) {
      const res = await send(body)
      expect(res.status, JSON.stringify(body)).toBe(422)
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    }
    const tooBig = await send({ media_url: files.url('/big.png') })
    expect(tooBig.status).toBe(413)
    expect(tooBig.body.error.code).toBe('FILE_TOO_LARGE')
    expect(await app.database.db.selectFrom('messages').select('id').execute()).toHaveLength(queued.length)
    // Nothing was kept of the refused downloads (the upload is the one new file).
    expect(app.storedFiles()).toHaveLength(stored + 1)
  })

  it('validates the body', async () => {
    const stranger = await app.register()
    const theirs = (await upload(app, stranger.token, PHOTO, 'theirs.png')).body.data
    const mine = (await upload(app, owner.token, PHOTO, 'mine.png')).body.data
    for (const [body, field] of [
      [{ media_type: 'image' }, 'media_url'],
      [{ media_id: mine.id, media_url: files.url('/photo.png') }, 'media_id'],
      [{ media_id: theirs.id }, 'media_id'],
      [{ media_id: '00000000-0000-7000-8000-000000000000' }, 'media_id'],
      [{ media_id: mine.id, media_type: 'sticker' }, 'media_type'],
      [{ media_id: mine.id, caption: 'c'.repeat(4097) }, 'caption'],
      [{ media_id: mine.id, recipient: 'nobody' }, 'recipient'],
      [{ media_url: 'not a url' }, 'media_url'],
    ] as const) {
      const res = await send(body)
      expect(res.status, JSON.stringify(body)).toBe(422)
      expect(Object.keys(res.body.error.details), JSON.stringify(body)).toContain(field)
    }
    const unreachable = await send({ media_url: files.url('/missing.png') })
    expect(unreachable.status).toBe(400)
    expect(unreachable.body.error.message).toContain('HTTP 404')
  })

  it('keeps an upload that a queued message still needs: deleting it is 409 until then', async () => {
    const up = (await upload(app, owner.token, PHOTO, 'later.png')).body.data
    const later = new Date(Date.now() + 86_400_000).toISOString()
    const res = await send({ media_id: up.id, schedule_at: later })
    expect(res.status).toBe(201)
    expect(res.body.message).toBe('Message scheduled')
    const refused = await app.request('DELETE', `/api/v1/media/${up.id}`, { token: owner.token })
    expect(refused.status).toBe(409)
    expect(refused.body.error.details.pending_messages).toBe(1)
    const cancelled = await app.request('DELETE', `/api/v1/scheduled/${res.body.data.uuid}`, {
      token: owner.token,
    })
    expect(cancelled.status).toBe(200)
    expect((await app.request('DELETE', `/api/v1/media/${up.id}`, { token: owner.token })).status).toBe(200)
    // The message no longer shows a file that is gone.
    const gone = await app.request('GET', `/api/v1/messages/${res.body.data.uuid}/media`, {
      token: owner.token,
    })
    expect(gone.status).toBe(404)
  })
})

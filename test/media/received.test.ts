import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SandboxNetwork } from '../../src/engine/sandbox/index.js'
import type { TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import { jpeg, png } from './files.js'
import { download, fileServer, type MediaApp, sandboxInstance, startMediaApp } from './support.js'

const PHOTO = png(4, 4)

describe('received media', () => {
  // What WhatsApp's media servers answer for files the server could not fetch when they arrived.
  const served: Record<string, { failures: number; data: Buffer | null }> = {
    'http://media.invalid/flaky.jpg': { failures: 2, data: jpeg() },
    'http://media.invalid/gone.pdf': { failures: Number.POSITIVE_INFINITY, data: null },
  }
  const network = new SandboxNetwork({
    fetchMedia: async (url) => {
      const entry = served[url]
      if (!entry || entry.failures > 0) {
        if (entry) entry.failures--
        throw new Error(`media server unavailable for ${url}`)
      }
      return entry.data!
    },
  })
  let files: Awaited<ReturnType<typeof fileServer>>
  let app: MediaApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let instance: { uuid: string }

  beforeAll(async () => {
    files = await fileServer({ '/cat.png': { data: PHOTO, type: 'application/octet-stream' } })
    app = await startMediaApp({
      env: { MEDIA_DOWNLOAD_ATTEMPTS: '3', MEDIA_DOWNLOAD_RETRY_MS: '50' },
      deps: { sandboxNetwork: network, mediaFetch: { allowPrivateHosts: true } },
    })
    owner = await app.register()
    instance = await sandboxInstance(app, owner.token, '15553330301')
  })
  afterAll(async () => {
    await Promise.all([app.close(), files.close()])
  })

  /** A contact sends something; answers the stored message once it is there. */
  async function inbound(body: Record<string, unknown>) {
    const res = await app.request('POST', `/api/v1/sandbox/instances/${instance.uuid}/inbound`, {
      token: owner.token,
      body: { from: '15557770303', ...body },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const waId = res.body.data.whatsapp_message_id
    return eventually(async () => {
      const list = await app.request('GET', '/api/v1/messages?direction=incoming&per_page=100', {
        token: owner.token,
      })
      const hit = list.body.data.find((m: { whatsapp_message_id: string }) => m.whatsapp_message_id === waId)
      expect(hit).toBeDefined()
      return hit as { uuid: string; id: number }
    })
  }

  const mediaRow = async (messageId: number) =>
    app.database.db.selectFrom('media').selectAll().where('message_id', '=', messageId).executeTakeFirst()

  it('stores an incoming image when it arrives and serves it with its Content-Type', async () => {
    const message = await inbound({
      media_type: 'image',
      media_url: files.url('/cat.png'),
      caption: 'Meu gato',
    })
    const file = await eventually(async () => {
      const res = await download(app, `/api/v1/messages/${message.uuid}/media`, owner.token)
      expect(res.status).toBe(200)
      return res
    })
    // The type comes from the bytes the contact sent, not from what their server claimed.
    expect(file.headers['content-type']).toBe('image/png')
    expect(file.data.equals(PHOTO)).toBe(true)
    const shown = (await app.request('GET', `/api/v1/messages/${message.uuid}`, { token: owner.token })).body
      .data
    expect(shown).toMatchObject({
      type: 'image',
      caption: 'Meu gato',
      media_url: `/api/v1/messages/${message.uuid}/media`,
      media_mime_type: 'image/png',
      media_size: PHOTO.length,
    })
    expect(await mediaRow(message.id)).toMatchObject({
      status: 'stored',
      attempts: 1,
      error: null,
      raw: null,
    })
    expect(app.storedFiles()).toHaveLength(1)
    // Another tenant cannot read it.
    const stranger = await app.register()
    const foreign = await download(app, `/api/v1/messages/${message.uuid}/media`, stranger.token)
    expect(foreign.status).toBe(404)
  })

  it('answers 404 for a message without a file', async () => {
    const message = await inbound({ message: 'just text' })
    const res = await download(app, `/api/v1/messages/${message.uuid}/media`, owner.token)
    expect(res.status).toBe(404)
    expect(JSON.parse(res.data.toString()).error.code).toBe('NOT_FOUND')
  })

  it('retries a failed download, then stores the file', async () => {
    const message = await inbound({ media_type: 'image', media_url: 'http://media.invalid/flaky.jpg' })
    const row = await eventually(async () => {
      const found = await mediaRow(message.id)
      expect(found?.status).toBe('stored')
      return found!
    })
    expect(row.attempts).toBe(3)
    const file = await download(app, `/api/v1/messages/${message.uuid}/media`, owner.token)
    expect(file.data.equals(jpeg())).toBe(true)
    expect(file.headers['content-type']).toBe('image/jpeg')
  })

  it('records a download that keeps failing, and the message answers 404', async () => {
    const message = await inbound({ media_type: 'document', media_url: 'http://media.invalid/gone.pdf' })
    const row = await eventually(async () => {
      const found = await mediaRow(message.id)
      expect(found?.status).toBe('failed')
      return found!
    })
    expect(row.attempts).toBe(3)
    expect(row.error).toContain('media server unavailable')
    expect(row.storage_key).toBeNull()
    const res = await download(app, `/api/v1/messages/${message.uuid}/media`, owner.token)
    expect(res.status).toBe(404)
    expect(served['http://media.invalid/gone.pdf']!.data).toBeNull()
  })
})

describe('received media across a restart', () => {
  let failing = true
  const network = new SandboxNetwork({
    fetchMedia: async () => {
      if (failing) throw new Error('media server unavailable')
      return PHOTO
    },
  })

  it('keeps a pending download, and the process that holds the instance next finishes it', async () => {
    // The first retry is far off: the server stops before it.
    const first = await startMediaApp({
      keepDatabase: true,
      env: { MEDIA_DOWNLOAD_RETRY_MS: '4000' },
      deps: { sandboxNetwork: network },
    })
    const owner = await first.register()
    const instance = await sandboxInstance(first, owner.token, '15553330401')
    const sent = await first.request('POST', `/api/v1/sandbox/instances/${instance.uuid}/inbound`, {
      token: owner.token,
      body: { from: '15557770404', media_type: 'image', media_url: 'http://media.invalid/later.png' },
    })
    expect(sent.status).toBe(201)
    const pending = await eventually(async () => {
      const row = await first.database.db.selectFrom('media').selectAll().executeTakeFirst()
      expect(row).toMatchObject({ status: 'pending', attempts: 1 })
      return row!
    })
    // What the next process needs to ask the engine again is in the row.
    expect(pending.raw).toContain('media.invalid/later.png')
    await first.close()

    failing = false
    const second = await startMediaApp({
      databaseUrl: first.databaseUrl,
      dataDir: first.dataDir,
      env: { MEDIA_SWEEP_SECONDS: '1' },
      deps: { sandboxNetwork: network },
    })
    try {
      const message = await eventually(async () => {
        const row = await second.database.db.selectFrom('media').selectAll().executeTakeFirst()
        expect(row).toMatchObject({ status: 'stored', attempts: 2, raw: null })
        return second.database.db
          .selectFrom('messages')
          .select('uuid')
          .where('id', '=', row!.message_id!)
          .executeTakeFirstOrThrow()
      }, 15_000)
      const file = await download(second, `/api/v1/messages/${message.uuid}/media`, owner.token)
      expect(file.status).toBe(200)
      expect(file.data.equals(PHOTO)).toBe(true)
    } finally {
      await second.close()
      await first.dropDatabase()
    }
  }, 30_000)
})

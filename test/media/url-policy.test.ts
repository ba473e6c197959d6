import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../src/http/errors.js'
import { checkMediaUrl, createMediaOpener } from '../../src/media/url-fetch.js'
import type { TestApp } from '../helpers/app.js'
import { png } from './files.js'
import { fileServer, type MediaApp, sandboxInstance, startMediaApp } from './support.js'

async function refusal(promise: Promise<unknown>): Promise<{ code: string; details: any } | 'OK'> {
  try {
    const opened = (await promise) as { body: AsyncIterable<Buffer> }
    for await (const _ of opened.body) {
      // drained
    }
    return 'OK'
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, details: error.details }
    throw error
  }
}

describe('media URLs, with the default policy (no private addresses)', () => {
  let files: Awaited<ReturnType<typeof fileServer>>
  let app: MediaApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let instance: { uuid: string }

  beforeAll(async () => {
    files = await fileServer({ '/photo.png': { data: png(), type: 'image/png' } })
    app = await startMediaApp()
    owner = await app.register()
    instance = await sandboxInstance(app, owner.token, '15553330201')
  })
  afterAll(async () => {
    await Promise.all([app.close(), files.close()])
  })

  it('refuses loopback, private, link-local and non-http URLs before any request', async () => {
    for (const [url, says] of [
      [files.url('/photo.png'), 'public'],
      [files.url('/photo.png').replace('127.0.0.1', 'localhost'), 'public'],
      [`http://[::1]:${files.port}/photo.png`, 'public'],
      ['http://10.1.2.3/photo.png', 'public'],
      ['http://192.168.0.10/photo.png', 'public'],
      ['http://169.254.169.254/latest/meta-data/iam/security-credentials/', 'public'],
      ['ftp://93.184.216.34/photo.png', 'http or https'],
      ['file:///etc/passwd', 'http or https'],
      ['gopher://93.184.216.34:70/_x', 'http or https'],
    ] as const) {
      const res = await app.request('POST', '/api/v1/messages/send-media', {
        token: owner.token,
        body: { instance_id: instance.uuid, recipient: '15557770202', media_url: url, media_type: 'image' },
      })
      expect(res.status, url).toBe(422)
      expect(res.body.error.details.media_url[0], url).toContain(says)
    }
    expect(files.hits).toEqual([])
    expect(await app.database.db.selectFrom('messages').select('id').execute()).toEqual([])
  })

  it('checks every redirect: a public-looking hop cannot lead to a private address', async () => {
    // Only the test server itself is let through, as if it were a public host.
    const open = createMediaOpener({
      check: (url, field) =>
        url.host === `127.0.0.1:${files.port}` ? Promise.resolve() : checkMediaUrl(url, field),
    })
    for (const target of [
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/admin',
      `http://localhost:${files.port}/photo.png`,
      'file:///etc/passwd',
    ]) {
      const before = files.hits.length
      const result = await refusal(open(files.url(`/to/${encodeURIComponent(target)}`), 'media_url'))
      expect(result, target).toMatchObject({ code: 'VALIDATION_ERROR' })
      // The redirect was asked for; its target never was.
      expect(files.hits.slice(before), target).toEqual([`/to/${encodeURIComponent(target)}`])
    }
  })

  it('refuses private addresses where it connects too (a name that resolves there after the check)', async () => {
    // A check that lets everything through, as a DNS answer that changed after it would.
    const open = createMediaOpener({ check: async () => {} })
    const before = files.hits.length
    const result = await refusal(open(`http://localhost:${files.port}/photo.png`, 'media_url'))
    expect(result).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { media_url: [expect.stringContaining('public')] },
    })
    expect(files.hits.length).toBe(before)
    // The same opener with private hosts allowed reaches it: the refusal was the address, nothing else.
    const allowed = createMediaOpener({ check: async () => {}, allowPrivateHosts: true })
    expect(await refusal(allowed(`http://localhost:${files.port}/photo.png`, 'media_url'))).toBe('OK')
  })
})

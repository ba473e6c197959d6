import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manualClock, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import { csv, docx, exe, jpeg, mp4, pdf, png, wav, zip } from './files.js'
import { download, type MediaApp, postForm, startMediaApp, upload } from './support.js'

const LIMIT = 64 * 1024

describe('POST /media/upload', () => {
  let app: MediaApp
  let owner: Awaited<ReturnType<TestApp['register']>>

  beforeAll(async () => {
    // A small ceiling, so that "too large" needs only a few dozen kilobytes.
    app = await startMediaApp({ env: { MEDIA_MAX_BYTES: String(LIMIT) } })
    owner = await app.register()
  })
  afterAll(() => app.close())

  it.each([
    ['photo.png', 'image', 'image/png', png()],
    ['photo.jpg', 'image', 'image/jpeg', jpeg()],
    ['voice.wav', 'audio', 'audio/wav', wav()],
    ['report.pdf', 'document', 'application/pdf', pdf()],
    ['clip.mp4', 'video', 'video/mp4', mp4('isom')],
    ['clip.3gp', 'video', 'video/3gpp', mp4('3gp4')],
    ['clip.mov', 'video', 'video/quicktime', mp4('qt  ')],
    ['contacts.csv', 'document', 'text/csv', csv()],
    ['notes.txt', 'document', 'text/plain', Buffer.from('Olá, mundo\n')],
    [
      'letter.docx',
      'document',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      docx(),
    ],
  ])('takes %s as %s (%s)', async (name, type, mime, file) => {
    const res = await upload(app, owner.token, file, name)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const data = res.body.data
    expect(data).toMatchObject({ type, mime_type: mime, size: file.length, filename: name })
    expect(data.sha256).toBe(createHash('sha256').update(file).digest('hex'))
    expect(data.id).toBe(data.uuid)
    // The link is served by this server, signed, and works without a token until expires_at.
    expect(data.url).toMatch(
      /^http:\/\/localhost\/api\/v1\/media\/[0-9a-f-]{36}\/file\?expires=\d+&signature=/,
    )
    expect(Date.parse(data.expires_at) - Date.parse(data.created_at)).toBe(7 * 86_400_000)
    const got = await download(app, data.url)
    expect(got.status).toBe(200)
    expect(got.headers['content-type']).toBe(mime)
    expect(got.data.equals(file)).toBe(true)
  })

  it('decides by the bytes, never by the name or the Content-Type the client gives', async () => {
    const disguised = await postForm(app, '/api/v1/media/upload', owner.token, [
      { name: 'file', value: pdf(), filename: 'holiday.jpg', contentType: 'image/jpeg' },
    ])
    expect(disguised.status).toBe(201)
    expect(disguised.body.data).toMatchObject({ type: 'document', mime_type: 'application/pdf' })

    // A program renamed as a picture or a spreadsheet is still a program.
    for (const name of ['cat.png', 'sheet.csv', 'readme.txt']) {
      const res = await upload(app, owner.token, exe(), name)
      expect(res.status, name).toBe(422)
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    }
    // Text with no text name, and a zip that is no Office document, are not accepted either.
    for (const [file, name] of [
      [csv(), 'contacts'],
      [zip([['a.txt', 'hello']]), 'archive.docx'],
    ] as const) {
      const res = await upload(app, owner.token, file, name)
      expect(res.status, name).toBe(422)
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    }
    expect(app.storedFiles()).toHaveLength(
      (await app.database.db.selectFrom('media').select('id').execute()).length,
    )
  })

  it('checks a given type against the bytes, wherever it comes in the form', async () => {
    const agrees = await upload(app, owner.token, png(), 'a.png', [{ name: 'type', value: 'image' }])
    expect(agrees.status).toBe(201)
    const before = app.storedFiles().length
    for (const parts of [
      [
        { name: 'type', value: 'video' },
        { name: 'file', value: png(), filename: 'a.png' },
      ],
      [
        { name: 'file', value: png(), filename: 'a.png' },
        { name: 'type', value: 'document' },
      ],
    ]) {
      const res = await postForm(app, '/api/v1/media/upload', owner.token, parts)
      expect(res.status).toBe(422)
      expect(res.body.error).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        details: { detected: 'image/png' },
      })
    }
    const unknown = await upload(app, owner.token, png(), 'a.png', [{ name: 'type', value: 'sticker' }])
    expect(unknown.status).toBe(422)
    expect(unknown.body.error.details).toHaveProperty('type')
    expect(app.storedFiles()).toHaveLength(before)
  })

  it('refuses a file over the limit with 413 while it streams, and keeps nothing of it', async () => {
    const before = app.storedFiles()
    const big = png(200, 120, true)
    expect(big.length).toBeGreaterThan(LIMIT)
    const res = await upload(app, owner.token, big, 'big.png')
    expect(res.status).toBe(413)
    expect(res.body.error).toMatchObject({ code: 'FILE_TOO_LARGE', details: { max_bytes: LIMIT } })
    // Far larger than the limit: answered without reading it all.
    const huge = Buffer.concat([png(), Buffer.alloc(8 * 1024 * 1024)])
    const started = Date.now()
    expect((await upload(app, owner.token, huge, 'huge.png')).status).toBe(413)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(app.storedFiles()).toEqual(before)
    // Exactly at the limit is fine.
    const exact = Buffer.concat([pdf(), Buffer.alloc(LIMIT - pdf().length, 0x20)])
    expect((await upload(app, owner.token, exact, 'exact.pdf')).status).toBe(201)
  })

  it('needs a file, one file, as multipart', async () => {
    const none = await postForm(app, '/api/v1/media/upload', owner.token, [{ name: 'type', value: 'image' }])
    expect(none.status).toBe(422)
    expect(none.body.error.details).toHaveProperty('file')
    const json = await app.request('POST', '/api/v1/media/upload', {
      token: owner.token,
      body: { file: 'x' },
    })
    expect(json.status).toBe(422)
    const empty = await upload(app, owner.token, Buffer.alloc(0), 'empty.png')
    expect(empty.status).toBe(422)
    const anonymous = await upload(app, '', png(), 'a.png')
    expect(anonymous.status).toBe(401)
  })
})

describe('GET and DELETE /media/{id}', () => {
  let app: MediaApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let other: Awaited<ReturnType<TestApp['register']>>

  beforeAll(async () => {
    app = await startMediaApp()
    owner = await app.register()
    other = await app.register()
  })
  afterAll(() => app.close())

  it('shows an upload to its tenant only, by uuid, media_ uuid or integer id', async () => {
    const up = (await upload(app, owner.token, wav(), 'hello.wav')).body.data
    for (const ref of [up.id, `media_${up.id}`, String(up.numeric_id)]) {
      const res = await app.request('GET', `/api/v1/media/${ref}`, { token: owner.token })
      expect(res.status, ref).toBe(200)
      expect(res.body.data).toEqual({ ...up })
    }
    const foreign = await app.request('GET', `/api/v1/media/${up.id}`, { token: other.token })
    expect(foreign.status).toBe(404)
    expect((await app.request('DELETE', `/api/v1/media/${up.id}`, { token: other.token })).status).toBe(404)
    expect((await app.request('GET', '/api/v1/media/not-an-id', { token: owner.token })).status).toBe(404)
  })

  it('serves the file only through a valid, unexpired signature', async () => {
    const up = (await upload(app, owner.token, png(), 'p.png')).body.data
    const url = new URL(up.url)
    const tampered = new URL(url)
    tampered.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 60))
    const past = new URL(url)
    past.searchParams.set('expires', String(Math.floor(Date.now() / 1000) - 60))
    for (const bad of [tampered, past, new URL(`${url.pathname}?expires=1&signature=x`, url)]) {
      expect((await download(app, bad.toString())).status, bad.search).toBe(404)
    }
    const other = (await upload(app, owner.token, jpeg(), 'j.jpg')).body.data
    // One file's signature does not open another.
    const swapped = `${new URL(other.url).pathname}${url.search}`
    expect((await download(app, swapped)).status).toBe(404)
    const ok = await download(app, up.url)
    expect(ok.headers['content-disposition']).toContain('filename="p.png"')
  })

  it('deletes an upload: its info, its link and its file', async () => {
    const up = (await upload(app, owner.token, pdf(), 'gone.pdf')).body.data
    const files = app.storedFiles().length
    const res = await app.request('DELETE', `/api/v1/media/${up.id}`, { token: owner.token })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ success: true })
    expect((await app.request('GET', `/api/v1/media/${up.id}`, { token: owner.token })).status).toBe(404)
    expect((await download(app, up.url)).status).toBe(404)
    expect(app.storedFiles()).toHaveLength(files - 1)
    expect((await app.request('DELETE', `/api/v1/media/${up.id}`, { token: owner.token })).status).toBe(404)
  })

  it('lists the upload endpoint in the OpenAPI description as multipart', async () => {
    const doc = (await app.request('GET', '/api/v1/openapi.json')).body
    const upload = doc.paths['/api/v1/media/upload'].post
    expect(Object.keys(upload.requestBody.content)).toEqual(['multipart/form-data'])
    expect(upload.requestBody.content['multipart/form-data'].schema.properties.file).toMatchObject({
      format: 'binary',
    })
    expect(Object.keys(upload.responses)).toEqual(expect.arrayContaining(['201', '413', '422']))
    expect(doc.paths['/api/v1/media/{id}/file'].get.security).toEqual([])
  })
})

describe('expiry', () => {
  const clock = manualClock(new Date())
  let app: MediaApp
  let owner: Awaited<ReturnType<TestApp['register']>>

  beforeAll(async () => {
    app = await startMediaApp({ clock, env: { MEDIA_EXPIRY_DAYS: '2', MEDIA_SWEEP_SECONDS: '1' } })
    owner = await app.register()
  })
  afterAll(() => app.close())

  it('deletes uploads once they expire: the row, the link and the file', async () => {
    const old = (await upload(app, owner.token, png(), 'old.png')).body.data
    clock.advance(86_400)
    const young = (await upload(app, owner.token, jpeg(), 'young.jpg')).body.data
    expect(Date.parse(young.expires_at) - clock.now().getTime()).toBe(2 * 86_400_000)
    expect(app.storedFiles()).toHaveLength(2)

    clock.advance(86_400 + 60)
    await eventually(async () => {
      const rows = await app.database.db.selectFrom('media').select('uuid').execute()
      expect(rows.map((r) => r.uuid)).toEqual([young.id])
      expect(app.storedFiles()).toHaveLength(1)
    }, 10_000)
    expect((await app.request('GET', `/api/v1/media/${old.id}`, { token: owner.token })).status).toBe(404)
    expect((await app.request('GET', `/api/v1/media/${young.id}`, { token: owner.token })).status).toBe(200)
    expect((await download(app, young.url)).status).toBe(200)
  })
})

import { describe, expect, it } from 'vitest'
import { decodeRaw, encodeRaw } from '../../src/media/raw.js'

describe("a received message's engine reference, kept for later downloads", () => {
  it('keeps the bytes of a Baileys message through its serializer', async () => {
    const raw = {
      key: { remoteJid: '15557770000@s.whatsapp.net', id: '3EB0ABC', fromMe: false },
      message: {
        imageMessage: {
          url: 'https://mmg.whatsapp.net/v/t62.7118-24/abc.enc',
          mimetype: 'image/jpeg',
          mediaKey: new Uint8Array([1, 2, 3, 250]),
          fileSha256: Buffer.from('a1b2', 'hex'),
          fileLength: 1234,
          directPath: '/v/t62.7118-24/abc.enc',
        },
      },
    }
    const text = await encodeRaw('baileys', raw)
    expect(text).toMatch(/^baileys:/)
    const back = (await decodeRaw(text!)) as typeof raw
    expect(Buffer.from(back.message.imageMessage.mediaKey)).toEqual(Buffer.from([1, 2, 3, 250]))
    expect(back.message.imageMessage.fileSha256).toEqual(Buffer.from('a1b2', 'hex'))
    expect(back.key).toEqual(raw.key)
  })

  it('keeps Buffers of other engines, and nothing too large to keep', async () => {
    const small = { sandbox: true, url: 'http://example.com/a.png', data: Buffer.from('tiny') }
    const back = (await decodeRaw((await encodeRaw('sandbox', small))!)) as typeof small
    expect(back).toEqual(small)
    expect(Buffer.isBuffer(back.data)).toBe(true)
    expect(await encodeRaw('sandbox', { sandbox: true, data: Buffer.alloc(100 * 1024) })).toBeNull()
  })
})

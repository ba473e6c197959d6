import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  checkMediaUrl,
  createMediaFetcher,
  isPrivateAddress,
  MAX_MEDIA_BYTES,
  mimetypeFor,
} from '../../src/direct/media-url.js'
import { AppError } from '../../src/http/errors.js'

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'OK'
  } catch (error) {
    if (error instanceof AppError) return error.code
    throw error
  }
}

describe('the media URL policy', () => {
  it('knows which addresses are not on the public internet', () => {
    for (const address of [
      '127.0.0.1',
      '127.9.9.9',
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'not an address',
    ]) {
      expect(isPrivateAddress(address), address).toBe(true)
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '93.184.216.34', '2606:4700:4700::1111']) {
      expect(isPrivateAddress(address), address).toBe(false)
    }
  })

  it('accepts public http(s) URLs and refuses the rest', async () => {
    const check = (url: string, allowPrivateHosts = false) =>
      codeOf(checkMediaUrl(new URL(url), 'media_url', { allowPrivateHosts }))
    expect(await check('http://93.184.216.34/a.png')).toBe('OK')
    expect(await check('https://[2606:4700:4700::1111]/a.png')).toBe('OK')
    expect(await check('http://127.0.0.1/a.png')).toBe('VALIDATION_ERROR')
    expect(await check('http://localhost/a.png')).toBe('VALIDATION_ERROR')
    expect(await check('http://[::1]/a.png')).toBe('VALIDATION_ERROR')
    expect(await check('http://[::ffff:7f00:1]/a.png')).toBe('VALIDATION_ERROR')
    expect(await check('http://0x7f000001/a.png')).toBe('VALIDATION_ERROR')
    expect(await check('ftp://93.184.216.34/a.png')).toBe('VALIDATION_ERROR')
    expect(await check('file:///etc/passwd')).toBe('VALIDATION_ERROR')
    expect(await check('http://user:secret@93.184.216.34/a.png')).toBe('VALIDATION_ERROR')
    expect(await check('http://no-such-host.invalid/a.png')).toBe('VALIDATION_ERROR')
    // Allowing private hosts never allows other schemes.
    expect(await check('http://127.0.0.1/a.png', true)).toBe('OK')
    expect(await check('file:///etc/passwd', true)).toBe('VALIDATION_ERROR')
  })

  it('guesses the MIME type from the server, the file name, then the kind', () => {
    expect(mimetypeFor('image', { mimetype: 'image/webp' }, 'a.png')).toBe('image/webp')
    expect(mimetypeFor('document', { mimetype: null }, 'sheet.xlsx')).toContain('spreadsheetml')
    expect(mimetypeFor('audio', { mimetype: null }, null)).toBe('audio/mpeg')
    expect(mimetypeFor('video', { mimetype: null }, 'clip')).toBe('video/mp4')
  })
})

describe('the media fetcher', () => {
  let server: http.Server
  let base: string
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/to-localhost') {
        res.writeHead(301, {
          location: `http://localhost:${(server.address() as AddressInfo).port}/file.bin`,
        })
        return res.end()
      }
      if (req.url === '/loop') {
        res.writeHead(302, { location: '/loop' })
        return res.end()
      }
      if (req.url === '/huge') {
        // Declares more than the default cap: refused from the headers, nothing is read.
        res.writeHead(200, { 'content-length': String(MAX_MEDIA_BYTES + 1) })
        res.flushHeaders()
        return
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      res.end(Buffer.from('bytes'))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('checks every redirect hop, not only the first URL', async () => {
    const seen: string[] = []
    const fetchMedia = createMediaFetcher({
      check: async (url, field) => {
        seen.push(url.hostname)
        if (url.hostname !== '127.0.0.1') {
          await checkMediaUrl(url, field)
        }
      },
    })
    expect(await codeOf(fetchMedia(`${base}/to-localhost`, 'url'))).toBe('VALIDATION_ERROR')
    expect(seen).toEqual(['127.0.0.1', 'localhost'])
  })

  it('stops after too many redirects', async () => {
    const fetchMedia = createMediaFetcher({ allowPrivateHosts: true, maxRedirects: 3 })
    expect(await codeOf(fetchMedia(`${base}/loop`, 'url'))).toBe('BAD_REQUEST')
  })

  it('caps the size at 100 MB by default', async () => {
    const fetchMedia = createMediaFetcher({ allowPrivateHosts: true })
    expect(await codeOf(fetchMedia(`${base}/huge`, 'url'))).toBe('FILE_TOO_LARGE')
  })

  it('answers the bytes, treating application/octet-stream as no type', async () => {
    const fetched = await createMediaFetcher({ allowPrivateHosts: true })(`${base}/file.bin`, 'url')
    expect(fetched).toEqual({ data: Buffer.from('bytes'), mimetype: null, fileName: 'file.bin' })
  })
})

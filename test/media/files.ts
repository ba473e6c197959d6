import { crc32, deflateSync } from 'node:zlib'

// Small real files of each accepted kind, made byte by byte, so that tests need no fixtures.

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'ascii')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

/** A valid width×height RGB PNG; `noise` makes the pixels incompressible (for size tests). */
export function png(width = 2, height = 2, noise = false): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 2 // RGB
  const rows: Buffer[] = []
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3)
    for (let i = 1; i < row.length; i++)
      row[i] = noise ? Math.floor(Math.random() * 256) : (y * 40 + i) & 0xff
    rows.push(row)
  }
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows), { level: noise ? 0 : 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

/** A baseline JPEG's markers: start of image, JFIF header, a comment, end of image. */
export function jpeg(): Buffer {
  const comment = Buffer.from('zapini test image')
  const com = Buffer.alloc(4)
  com.writeUInt16BE(0xfffe, 0)
  com.writeUInt16BE(comment.length + 2, 2)
  return Buffer.concat([
    Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'),
    com,
    comment,
    Buffer.from('ffd9', 'hex'),
  ])
}

/** A PCM WAV of `samples` 16-bit mono samples at 8 kHz. */
export function wav(samples = 800): Buffer {
  const data = Buffer.alloc(samples * 2)
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin(i / 4) * 8000), i * 2)
  const head = Buffer.alloc(44)
  head.write('RIFF', 0)
  head.writeUInt32LE(36 + data.length, 4)
  head.write('WAVE', 8)
  head.write('fmt ', 12)
  head.writeUInt32LE(16, 16)
  head.writeUInt16LE(1, 20) // PCM
  head.writeUInt16LE(1, 22) // mono
  head.writeUInt32LE(8000, 24)
  head.writeUInt32LE(16000, 28)
  head.writeUInt16LE(2, 32)
  head.writeUInt16LE(16, 34)
  head.write('data', 36)
  head.writeUInt32LE(data.length, 40)
  return Buffer.concat([head, data])
}

/** A one-page PDF. */
export function pdf(): Buffer {
  return Buffer.from(
    [
      '%PDF-1.4',
      '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj',
      '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj',
      '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj',
      'trailer << /Root 1 0 R >>',
      '%%EOF',
      '',
    ].join('\n'),
  )
}

function box(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(8 + body.length, 0)
  head.write(type, 4, 'ascii')
  return Buffer.concat([head, body])
}

/** The start of an MP4 (or 3GPP, QuickTime by brand): its `ftyp` box, then an empty `mdat`. */
export function mp4(brand = 'isom'): Buffer {
  return Buffer.concat([
    box('ftyp', Buffer.concat([Buffer.from(brand), Buffer.from([0, 0, 2, 0]), Buffer.from(`${brand}mp41`)])),
    box('mdat', Buffer.from('not really video, but its container says it is')),
  ])
}

export function csv(): Buffer {
  return Buffer.from('name,phone\nMaria,5511999999999\nJoão,5511888888888\n')
}

/** A zip archive of stored (uncompressed) entries. */
export function zip(entries: [string, string][]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const [name, text] of entries) {
    const data = Buffer.from(text)
    const fileName = Buffer.from(name)
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(fileName.length, 26)
    locals.push(local, fileName, data)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(fileName.length, 28)
    central.writeUInt32LE(offset, 42)
    centrals.push(central, fileName)
    offset += 30 + fileName.length + data.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

/** A DOCX whose content types come last, as some office suites write them (padding pushes them past the first 4 KB). */
export function docx(): Buffer {
  const types =
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
  return zip([
    ['_rels/.rels', `<Relationships>${' '.repeat(6000)}</Relationships>`],
    ['word/document.xml', '<w:document><w:body><w:p>Olá</w:p></w:body></w:document>'],
    ['[Content_Types].xml', types],
  ])
}

/** A Windows executable's first bytes. */
export function exe(): Buffer {
  const bytes = Buffer.alloc(256)
  bytes.write('MZ', 0)
  bytes.writeUInt32LE(0x80, 0x3c)
  bytes.write('PE\0\0', 0x80, 'latin1')
  return bytes
}

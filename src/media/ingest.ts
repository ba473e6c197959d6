import { createHash } from 'node:crypto'
import type { MediaKind } from '../engine/types.js'
import { AppError, validationError } from '../http/errors.js'
import { ACCEPTED_FORMATS, type Detected, detect, detectOfficeZip, SAMPLE_BYTES } from './formats.js'
import type { MediaStore } from './store.js'
import { tooLarge } from './url-fetch.js'

export interface IngestOptions {
  store: MediaStore
  key: string
  /** The name the file came with: only CFB and text formats consult it, never the rest. */
  fileName: string | null
  /** The most bytes a file of this kind may have. */
  limitOf: (kind: MediaKind) => number
  /** The kind the caller said it is; the bytes must agree. */
  expected?: MediaKind | undefined
  /** A size announced before the bytes (Content-Length), refused early when over the limit. */
  declaredSize?: number | null
  /** The request field the file came from, for validation messages. */
  field: string
}

export interface Ingested {
  key: string
  kind: MediaKind
  mime: string
  ext: string
  size: number
  sha256: string
}

export function unsupported(message: string): AppError {
  return new AppError('UNSUPPORTED_MEDIA_TYPE', message, { accepted: ACCEPTED_FORMATS })
}

/**
 * Streams a file into the store while deciding what it is: the first bytes name the format (and
 * with it the size limit), then the rest is counted as it passes and the write is abandoned the
 * moment the limit is crossed, so no more than the limit is ever held or written. Text must be
 * UTF-8 to its last byte; a zip must prove to be an Office document once stored.
 */
export async function ingest(source: AsyncIterable<Uint8Array>, options: IngestOptions): Promise<Ingested> {
  const { store, key, field } = options
  const iterator = source[Symbol.asyncIterator]()
  let finished = false
  const head: Buffer[] = []
  let headSize = 0
  try {
    while (headSize < SAMPLE_BYTES) {
      const next = await iterator.next()
      if (next.done) {
        finished = true
        break
      }
      head.push(Buffer.from(next.value))
      headSize += next.value.byteLength
    }
  } catch (error) {
    await iterator.return?.()
    throw error
  }
  const sample = Buffer.concat(head)
  const stop = async (error: AppError) => {
    if (!finished) await iterator.return?.()
    return error
  }
  if (sample.length === 0) throw await stop(validationError(field, `The ${field} is empty.`))
  let detected = await detect(sample, options.fileName)
  if (!detected) {
    throw await stop(unsupported(`This file type is not accepted. Accepted formats: ${ACCEPTED_FORMATS}.`))
  }
  const mismatch = mismatchOf(detected, options.expected)
  if (mismatch) throw await stop(mismatch)
  const limit = options.limitOf(detected.kind)
  if ((options.declaredSize ?? 0) > limit) throw await stop(tooLarge(limit))

  const hash = createHash('sha256')
  const text = detected.text ? new TextDecoder('utf-8', { fatal: true }) : null
  const notText = () =>
    unsupported(
      `The file is named .${detected!.ext} but is not UTF-8 text. Accepted formats: ${ACCEPTED_FORMATS}.`,
    )
  let size = 0
  const take = (chunk: Buffer): Buffer => {
    size += chunk.length
    if (size > limit) throw tooLarge(limit)
    hash.update(chunk)
    if (text) {
      if (chunk.includes(0)) throw notText()
      try {
        text.decode(chunk, { stream: true })
      } catch {
        throw notText()
      }
    }
    return chunk
  }
  async function* body(): AsyncGenerator<Buffer> {
    try {
      yield take(sample)
      while (!finished) {
        const next = await iterator.next()
        if (next.done) finished = true
        else yield take(Buffer.from(next.value))
      }
      if (text) {
        try {
          text.decode()
        } catch {
          throw notText()
        }
      }
    } finally {
      if (!finished) await iterator.return?.()
    }
  }
  await store.put(key, body())

  if (detected.zip) {
    detected = await detectOfficeZip(await store.get(key))
    const refused = detected
      ? mismatchOf(detected, options.expected)
      : unsupported(`This archive is not a DOCX, XLSX or PPTX file. Accepted formats: ${ACCEPTED_FORMATS}.`)
    if (refused) {
      await store.delete(key)
      throw refused
    }
  }
  const { kind, mime, ext } = detected!
  return { key, kind, mime, ext, size, sha256: hash.digest('hex') }
}

const named = (kind: string) => `${kind === 'image' || kind === 'audio' ? 'an' : 'a'} ${kind}`

/** The caller said one kind, the bytes say another. */
export function kindMismatch(
  actual: { kind: string; mime: string },
  expected: MediaKind,
  field: string,
): AppError {
  return new AppError(
    'UNSUPPORTED_MEDIA_TYPE',
    `The file is ${named(actual.kind)} (${actual.mime}), not ${named(expected)}.`,
    { [field]: [`The file's bytes say ${actual.kind}, not ${expected}.`], detected: actual.mime },
  )
}

function mismatchOf(detected: Detected, expected: MediaKind | undefined): AppError | null {
  return expected && expected !== detected.kind ? kindMismatch(detected, expected, 'type') : null
}

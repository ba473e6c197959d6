import { Readable } from 'node:stream'
import { fileTypeFromBuffer, fileTypeFromStream } from 'file-type'
import type { MediaKind } from '../engine/types.js'
import { validationError } from '../http/errors.js'

export const MEDIA_KINDS = ['image', 'video', 'audio', 'document'] as const satisfies readonly MediaKind[]

const MB = 1024 * 1024

/** WhatsApp's limits per kind (the reference's table). */
export const KIND_LIMITS: Record<MediaKind, number> = {
  image: 16 * MB,
  video: 64 * MB,
  audio: 16 * MB,
  document: 100 * MB,
}

/** Bytes read before deciding what a file is: enough for every signature we accept but zip. */
export const SAMPLE_BYTES = 4100

/** What the bytes turned out to be. */
export interface Detected {
  kind: MediaKind
  mime: string
  ext: string
  /** No signature: the name says text, so every byte must be UTF-8 text. */
  text: boolean
  /** A zip archive so far: only the whole file tells whether it is a DOCX, XLSX or PPTX. */
  zip: boolean
}

/** The formats of the reference's table, by the MIME type file-type detects (mapped where WhatsApp wants another). */
const ACCEPTED: Record<string, { kind: MediaKind; mime?: string }> = {
  'image/jpeg': { kind: 'image' },
  'image/png': { kind: 'image' },
  'image/gif': { kind: 'image' },
  'image/webp': { kind: 'image' },
  'video/mp4': { kind: 'video' },
  'video/3gpp': { kind: 'video' },
  'video/quicktime': { kind: 'video' },
  'audio/mpeg': { kind: 'audio' },
  'audio/ogg': { kind: 'audio' },
  'audio/ogg; codecs=opus': { kind: 'audio' },
  'audio/wav': { kind: 'audio' },
  'audio/aac': { kind: 'audio' },
  // AAC in an MP4 container (.m4a).
  'audio/x-m4a': { kind: 'audio', mime: 'audio/mp4' },
  'audio/mp4': { kind: 'audio' },
  'application/pdf': { kind: 'document' },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { kind: 'document' },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { kind: 'document' },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': { kind: 'document' },
}

/** Old Office files share one container format (CFB): the bytes prove the container, the name tells which. */
const CFB_BY_EXTENSION: Record<string, string> = {
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint',
}

/** Text has no signature: valid UTF-8 with one of these names is accepted as a document. */
const TEXT_BY_EXTENSION: Record<string, string> = { txt: 'text/plain', csv: 'text/csv' }

export const ACCEPTED_FORMATS =
  'image: JPEG, PNG, GIF, WebP; video: MP4, 3GPP, QuickTime; audio: MP3, OGG, Opus, WAV, AAC; ' +
  'document: PDF, DOC(X), XLS(X), PPT(X), TXT, CSV'

export function extensionOf(fileName: string | null | undefined): string {
  const match = /\.([a-z0-9]{1,8})$/i.exec(fileName ?? '')
  return match ? match[1]!.toLowerCase() : ''
}

/** Decides from the first bytes (and, for CFB and text only, the name) what a file is; null when not accepted. */
export async function detect(sample: Uint8Array, fileName: string | null): Promise<Detected | null> {
  const found = await fileTypeFromBuffer(sample)
  const ext = extensionOf(fileName)
  const base = { text: false, zip: false }
  if (!found) {
    const mime = TEXT_BY_EXTENSION[ext]
    return mime ? { kind: 'document', mime, ext, text: true, zip: false } : null
  }
  if (found.mime === 'application/x-cfb') {
    const mime = CFB_BY_EXTENSION[ext]
    return mime ? { kind: 'document', mime, ext, ...base } : null
  }
  if (found.mime === 'application/zip')
    return { kind: 'document', mime: found.mime, ext: 'zip', ...base, zip: true }
  const accepted = ACCEPTED[found.mime]
  return accepted ? { kind: accepted.kind, mime: accepted.mime ?? found.mime, ext: found.ext, ...base } : null
}

/** The whole archive read as far as needed: a DOCX, XLSX or PPTX, or null for any other zip. */
export async function detectOfficeZip(stream: Readable): Promise<Detected | null> {
  const found = await fileTypeFromStream(Readable.toWeb(stream) as never)
  const accepted = found ? ACCEPTED[found.mime] : undefined
  if (!found || accepted?.kind !== 'document') return null
  return { kind: 'document', mime: found.mime, ext: found.ext, text: false, zip: false }
}

/** `type` of an upload: one of the four kinds, or absent. */
export function kindOf(value: string | undefined, field = 'type'): MediaKind | undefined {
  if (value === undefined || value === '') return undefined
  if ((MEDIA_KINDS as readonly string[]).includes(value)) return value as MediaKind
  throw validationError(field, `The ${field} field must be one of: ${MEDIA_KINDS.join(', ')}.`)
}

/** The name part only, without control characters, at most 255 characters. */
export function cleanFileName(name: string | null | undefined): string | null {
  const base = (name ?? '').split(/[/\\]/).pop() ?? ''
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim()
  if (!clean || clean === '.' || clean === '..') return null
  return clean.length <= 255 ? clean : clean.slice(clean.length - 255)
}

/** The MIME type the bytes show, among the accepted formats; null when none. */
export async function mimeOf(data: Uint8Array, fileName: string | null): Promise<string | null> {
  return (await detect(data.subarray(0, SAMPLE_BYTES), fileName))?.mime ?? null
}

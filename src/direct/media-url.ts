import path from 'node:path'
import type { MediaKind } from '../engine/types.js'
import type { FetchedMedia } from '../media/url-fetch.js'

// The URL fetcher lives in the media module, shared by every endpoint that downloads media.
export {
  checkMediaUrl,
  createMediaFetcher,
  type FetchedMedia,
  isPrivateAddress,
  MAX_MEDIA_BYTES,
  type MediaFetcher,
  type MediaFetchOptions,
  type MediaUrlCheck,
} from '../media/url-fetch.js'

const DEFAULT_MIME: Record<MediaKind, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/mpeg',
  document: 'application/octet-stream',
}

const BY_EXTENSION: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  mp4: 'video/mp4',
  '3gp': 'video/3gpp',
  mov: 'video/quicktime',
  avi: 'video/x-msvideo',
  mkv: 'video/x-matroska',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  opus: 'audio/ogg; codecs=opus',
  wav: 'audio/wav',
  aac: 'audio/aac',
  m4a: 'audio/mp4',
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  txt: 'text/plain',
  zip: 'application/zip',
}

/** The MIME type to send: the server's, else one guessed from the file name, else the kind's usual one. */
export function mimetypeFor(
  kind: MediaKind,
  fetched: Pick<FetchedMedia, 'mimetype'>,
  fileName?: string | null,
) {
  if (fetched.mimetype) return fetched.mimetype
  const extension = fileName ? path.extname(fileName).slice(1).toLowerCase() : ''
  return BY_EXTENSION[extension] ?? DEFAULT_MIME[kind]
}

import type { proto } from 'baileys'
import type { MediaServer } from './media.js'
import { decryptMedia, encryptMedia, type MediaKind } from './media-crypto.js'
import { unixNow } from './nodes.js'

export interface MediaOptions {
  mimetype?: string
  caption?: string
  fileName?: string
}

const DEFAULT_MIME: Record<MediaKind, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  document: 'application/octet-stream',
  sticker: 'image/webp',
}

/** Encrypts `data`, stores it on the media server and builds the message that points to it. */
export function buildMediaMessage(
  media: MediaServer,
  kind: MediaKind,
  data: Uint8Array,
  options: MediaOptions = {},
): proto.IMessage {
  const encrypted = encryptMedia(data, kind)
  const content = {
    url: media.store(encrypted.blob),
    mimetype: options.mimetype ?? DEFAULT_MIME[kind],
    fileSha256: encrypted.fileSha256,
    fileEncSha256: encrypted.fileEncSha256,
    fileLength: encrypted.fileLength,
    mediaKey: encrypted.mediaKey,
    mediaKeyTimestamp: unixNow(),
  }
  switch (kind) {
    case 'image':
      return { imageMessage: { ...content, caption: options.caption } }
    case 'video':
      return { videoMessage: { ...content, caption: options.caption } }
    case 'audio':
      return { audioMessage: content }
    case 'sticker':
      return { stickerMessage: content }
    case 'document':
      return {
        documentMessage: { ...content, caption: options.caption, fileName: options.fileName ?? 'file' },
      }
  }
}

/** The media part of a message, whatever its kind. */
export function mediaOf(message: proto.IMessage) {
  const inner = message.deviceSentMessage?.message ?? message
  const kinds: MediaKind[] = ['image', 'video', 'audio', 'document', 'sticker']
  for (const kind of kinds) {
    const content = inner[`${kind}Message`]
    if (content) return { kind, content }
  }
  return undefined
}

/** Fetches a message's blob from the media server and decrypts it, checking MAC and hashes. */
export function downloadMedia(
  media: MediaServer,
  message: proto.IMessage,
): { kind: MediaKind; data: Buffer } {
  const found = mediaOf(message)
  if (!found?.content.url || !found.content.mediaKey) throw new Error('message carries no downloadable media')
  const blob = media.blobFor(found.content.url)
  if (!blob) throw new Error(`no blob at ${found.content.url}`)
  const data = decryptMedia(blob, found.content.mediaKey, found.kind, found.content)
  return { kind: found.kind, data }
}

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker'

// HKDF info per media kind: "WhatsApp <Name> Keys".
const KEY_NAMES: Record<MediaKind, string> = {
  image: 'Image',
  video: 'Video',
  audio: 'Audio',
  document: 'Document',
  sticker: 'Image',
}

const MAC_LENGTH = 10

function expand(mediaKey: Uint8Array, kind: MediaKind) {
  const keys = Buffer.from(
    hkdfSync('sha256', mediaKey, Buffer.alloc(0), `WhatsApp ${KEY_NAMES[kind]} Keys`, 112),
  )
  return { iv: keys.subarray(0, 16), cipherKey: keys.subarray(16, 48), macKey: keys.subarray(48, 80) }
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest()
}

export interface EncryptedMedia {
  mediaKey: Buffer
  /** What is stored on the media server: AES-256-CBC ciphertext, then a 10-byte HMAC. */
  blob: Buffer
  fileSha256: Buffer
  fileEncSha256: Buffer
  fileLength: number
}

/** Encrypts media as WhatsApp clients do before uploading it. */
export function encryptMedia(plaintext: Uint8Array, kind: MediaKind): EncryptedMedia {
  const mediaKey = randomBytes(32)
  const { iv, cipherKey, macKey } = expand(mediaKey, kind)
  const cipher = createCipheriv('aes-256-cbc', cipherKey, iv)
  const encrypted = Buffer.concat([cipher.update(plaintext), cipher.final()])
  const mac = createHmac('sha256', macKey).update(iv).update(encrypted).digest().subarray(0, MAC_LENGTH)
  const blob = Buffer.concat([encrypted, mac])
  return {
    mediaKey,
    blob,
    fileSha256: sha256(plaintext),
    fileEncSha256: sha256(blob),
    fileLength: plaintext.length,
  }
}

/** Checks the MAC and hashes of a downloaded blob and decrypts it. */
export function decryptMedia(
  blob: Uint8Array,
  mediaKey: Uint8Array,
  kind: MediaKind,
  expected: { fileSha256?: Uint8Array | null; fileEncSha256?: Uint8Array | null } = {},
): Buffer {
  if (expected.fileEncSha256 && !sha256(blob).equals(Buffer.from(expected.fileEncSha256))) {
    throw new Error('media blob does not match fileEncSha256')
  }
  const { iv, cipherKey, macKey } = expand(mediaKey, kind)
  const encrypted = blob.subarray(0, blob.length - MAC_LENGTH)
  const mac = createHmac('sha256', macKey).update(iv).update(encrypted).digest().subarray(0, MAC_LENGTH)
  if (!timingSafeEqual(mac, blob.subarray(blob.length - MAC_LENGTH))) throw new Error('media MAC mismatch')
  const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv)
  const plaintext = Buffer.concat([decipher.update(encrypted), decipher.final()])
  if (expected.fileSha256 && !sha256(plaintext).equals(Buffer.from(expected.fileSha256))) {
    throw new Error('media plaintext does not match fileSha256')
  }
  return plaintext
}

import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto'

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** A random string of `length` characters from [a-zA-Z0-9] (about 5.95 bits each). */
export function randomToken(length = 40): string {
  const bytes = randomBytes(length * 2)
  let out = ''
  for (const byte of bytes) {
    // 248 = 4 * 62: dropping larger bytes keeps every character equally likely.
    if (byte < 248) out += TOKEN_ALPHABET[byte % 62]
    if (out.length === length) return out
  }
  return out + randomToken(length - out.length)
}

/**
 * Tokens carry ≥ 238 bits of randomness, so a plain SHA-256 is enough to store them safely
 * (a slow hash is for guessable secrets such as passwords) and keeps every request fast.
 */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/** AES-256-GCM for secrets that must be read back (TOTP seeds, webhook secrets, AI keys). */
export interface Cipher {
  encrypt(plain: string): string
  decrypt(sealed: string): string
}

export function createCipher(keyBase64: string): Cipher {
  const key = Buffer.from(keyBase64, 'base64')
  if (key.length !== 32) throw new Error('The app key must be 32 bytes')
  return {
    encrypt(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`
    },
    decrypt(sealed) {
      if (!sealed.startsWith('v1:')) throw new Error('Unknown secret format')
      const raw = Buffer.from(sealed.slice(3), 'base64')
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
      decipher.setAuthTag(raw.subarray(12, 28))
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
    },
  }
}

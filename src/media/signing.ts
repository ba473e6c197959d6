import { createHmac } from 'node:crypto'
import { safeEqual } from '../lib/secrets.js'

export type UrlSigner = ReturnType<typeof createUrlSigner>

/**
 * Signed file URLs: whoever holds the link may fetch the file (a browser, WhatsApp, a webhook
 * receiver) without a token, until the link expires. The key is derived from the app key, so
 * every process sharing the app key accepts the links of the others.
 */
export function createUrlSigner(appKey: string) {
  const key = createHmac('sha256', Buffer.from(appKey, 'base64')).update('zapini media file urls').digest()
  const mac = (id: string, expires: number) =>
    createHmac('sha256', key).update(`${id}.${expires}`).digest('base64url')

  return {
    /** `expires` is in seconds since the epoch. */
    sign(id: string, expires: number): string {
      return mac(id, expires)
    },

    verify(id: string, expires: number, signature: string, nowMs: number): boolean {
      return Number.isSafeInteger(expires) && expires * 1000 > nowMs && safeEqual(mac(id, expires), signature)
    },
  }
}

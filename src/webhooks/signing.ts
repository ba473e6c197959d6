import { createHmac, randomBytes } from 'node:crypto'
import { safeEqual } from '../lib/secrets.js'

export const USER_AGENT = 'Zapini-Webhook/1.0'

/** `X-Webhook-Signature`: hex HMAC-SHA256 of the exact body (the documents' PHP and Node checks). */
export function hexSignature(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex')
}

/**
 * The key of a Standard Webhooks signature: a `whsec_…` secret is base64 after the prefix (as
 * their libraries expect); any other secret is used as its UTF-8 bytes.
 */
function standardKey(secret: string): Buffer {
  return secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret, 'utf8')
}

/** `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`. */
export function standardSignature(id: string, timestamp: number, body: string, secret: string): string {
  const mac = createHmac('sha256', standardKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')
  return `v1,${mac}`
}

/** The headers of one attempt; `timestamp` is seconds since the epoch. */
export function deliveryHeaders(input: {
  deliveryId: string
  event: string
  instanceUuid: string
  body: string
  secret: string
  timestamp: number
}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-webhook-signature': hexSignature(input.body, input.secret),
    'x-webhook-event': input.event,
    'x-instance-uuid': input.instanceUuid,
    'x-webhook-id': input.deliveryId,
    'webhook-id': input.deliveryId,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': standardSignature(input.deliveryId, input.timestamp, input.body, input.secret),
  }
}

/** Checks a hex HMAC-SHA256 (optionally written `sha256=…`) of `body` in constant time. */
export function verifyHexSignature(body: Buffer | string, header: string, secret: string): boolean {
  const given = header
    .trim()
    .replace(/^sha256=/i, '')
    .toLowerCase()
  return safeEqual(given, createHmac('sha256', secret).update(body).digest('hex'))
}

/** A new webhook secret, in the Standard Webhooks form so that their libraries take it as is. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`
}

/** A new worker secret (signs what an instance's WhatsApp worker posts to us). */
export function newWorkerSecret(): string {
  return `wks_${randomBytes(32).toString('base64url')}`
}

/** Shows the last characters of a secret only when it is long enough to keep most of it hidden. */
export function maskSecret(secret: string): string {
  return secret.length >= 16 ? `${'*'.repeat(8)}${secret.slice(-4)}` : '*'.repeat(8)
}

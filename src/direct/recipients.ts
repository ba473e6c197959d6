import { GROUP_SERVER, LID_SERVER, parseJid, toChatJid, USER_SERVER } from '../engine/jid.js'
import { validationError } from '../http/errors.js'

/** The first of several documented spellings of one field that the caller gave. */
export function firstOf<T extends Record<string, unknown>>(
  body: T,
  names: (keyof T & string)[],
): { name: string; value: string } | null {
  for (const name of names) {
    const value = body[name]
    if (typeof value === 'string' && value.trim() !== '') return { name, value: value.trim() }
  }
  return null
}

/** Like `firstOf`, but a missing field is a 422 naming the first spelling. */
export function requireOneOf<T extends Record<string, unknown>>(
  body: T,
  names: (keyof T & string)[],
): { name: string; value: string } {
  const found = firstOf(body, names)
  if (!found) {
    const [main, ...aliases] = names
    const also = aliases.length ? ` (or ${aliases.join(', ')})` : ''
    throw validationError(main ?? 'field', `The ${main} field${also} is required.`)
  }
  return found
}

const CHAT_SERVERS = new Set([USER_SERVER, GROUP_SERVER, LID_SERVER])

/**
 * The chat JID of a recipient given as `+15551234567`, `15551234567`, `5511 99999-9999` or a JID
 * (`…@s.whatsapp.net`, `…@g.us`, `…@lid`); anything else is a 422 on `field`.
 */
export function chatJidOf(value: string, field: string): string {
  const jid = toChatJid(value)
  const server = jid ? parseJid(jid)?.server : undefined
  if (!jid || !server || !CHAT_SERVERS.has(server)) {
    throw validationError(
      field,
      `The ${field} field must be a phone number with country code (e.g. 5511999999999) or a WhatsApp JID.`,
    )
  }
  return jid
}

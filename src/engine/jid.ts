// Phone numbers and JIDs, without Baileys, so that both engines and the services agree.

export const USER_SERVER = 's.whatsapp.net'
export const GROUP_SERVER = 'g.us'
export const LID_SERVER = 'lid'

const KNOWN_SERVERS = new Set([USER_SERVER, GROUP_SERVER, LID_SERVER, 'c.us', 'broadcast', 'newsletter'])

/** Digits of a phone number (E.164 without `+`), or undefined when it cannot be one. */
export function normalizePhone(input: string): string | undefined {
  const value = input.trim()
  if (value.includes('@')) {
    const parsed = parseJid(value)
    return parsed && (parsed.server === USER_SERVER || parsed.server === 'c.us') ? parsed.user : undefined
  }
  if (!/^\+?[\d\s().-]+$/.test(value)) return undefined
  const digits = value.replace(/\D/g, '')
  return digits.length >= 7 && digits.length <= 15 ? digits : undefined
}

export interface ParsedJid {
  user: string
  server: string
  device?: number
}

export function parseJid(jid: string): ParsedJid | undefined {
  const at = jid.indexOf('@')
  if (at <= 0 || at !== jid.lastIndexOf('@')) return undefined
  const server = jid.slice(at + 1)
  if (!KNOWN_SERVERS.has(server)) return undefined
  const [userAgent = '', device] = jid.slice(0, at).split(':')
  const user = userAgent.split('_')[0] ?? ''
  if (!user) return undefined
  if ((server === USER_SERVER || server === 'c.us') && !/^\d{7,15}$/.test(user)) return undefined
  if ((server === GROUP_SERVER || server === LID_SERVER) && !/^[\d-]+$/.test(user)) return undefined
  return { user, server, device: device === undefined ? undefined : Number(device) }
}

/**
 * The chat JID for a phone number (any common spelling) or a JID, without device suffix;
 * undefined when `to` is neither.
 */
export function toChatJid(to: string): string | undefined {
  const value = to.trim()
  if (!value.includes('@')) {
    const phone = normalizePhone(value)
    return phone ? `${phone}@${USER_SERVER}` : undefined
  }
  const parsed = parseJid(value)
  if (!parsed) return undefined
  const server = parsed.server === 'c.us' ? USER_SERVER : parsed.server
  return `${parsed.user}@${server}`
}

export function phoneJid(phone: string): string {
  return `${phone}@${USER_SERVER}`
}

export function isGroupJid(jid: string | undefined | null): boolean {
  return !!jid && jid.endsWith(`@${GROUP_SERVER}`)
}

export function isLidJid(jid: string | undefined | null): boolean {
  return !!jid && jid.endsWith(`@${LID_SERVER}`)
}

export function isPhoneJid(jid: string | undefined | null): boolean {
  return !!jid && (jid.endsWith(`@${USER_SERVER}`) || jid.endsWith('@c.us'))
}

/** The phone digits of a phone JID (device suffix dropped), else undefined. */
export function phoneOfJid(jid: string | undefined | null): string | undefined {
  if (!jid || !isPhoneJid(jid)) return undefined
  return parseJid(jid)?.user
}

/** Drops the device and agent parts: `5511…:12@s.whatsapp.net` → `5511…@s.whatsapp.net`. */
export function bareJid(jid: string): string {
  const parsed = parseJid(jid)
  if (!parsed) return jid
  return `${parsed.user}@${parsed.server === 'c.us' ? USER_SERVER : parsed.server}`
}

export type JidServer = 's.whatsapp.net' | 'lid' | 'g.us' | 'broadcast' | 'newsletter' | string

export interface ParsedJid {
  user: string
  device: number
  server: JidServer
}

/** Parses `user[_agent][:device]@server`; device 0 when absent. */
export function parseJid(jid: string): ParsedJid | undefined {
  const at = jid.indexOf('@')
  if (at < 0) return undefined
  const server = jid.slice(at + 1)
  const left = jid.slice(0, at)
  const [userAgent = '', deviceText] = left.split(':')
  const user = userAgent.split('_')[0] ?? ''
  const device = deviceText ? Number(deviceText) : 0
  if (!user || Number.isNaN(device)) return undefined
  return { user, device, server }
}

export function makeJid(user: string, server: JidServer, device = 0): string {
  return device ? `${user}:${device}@${server}` : `${user}@${server}`
}

export const pnJid = (user: string, device = 0): string => makeJid(user, 's.whatsapp.net', device)
export const lidJid = (user: string, device = 0): string => makeJid(user, 'lid', device)

/** Strips device and agent: the user-level jid. */
export function userJid(jid: string): string {
  const parsed = parseJid(jid)
  return parsed ? makeJid(parsed.user, parsed.server) : jid
}

export function isLid(jid: string | undefined): boolean {
  return !!jid && jid.endsWith('@lid')
}

export function isGroup(jid: string | undefined): boolean {
  return !!jid && jid.endsWith('@g.us')
}

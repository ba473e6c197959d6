import {
  isJidNewsletter,
  isJidStatusBroadcast,
  isLidUser,
  isPnUser,
  jidNormalizedUser,
  toNumber,
} from 'baileys'
import type { EngineEventItem, GroupParticipantInfo, LidMappingEvent } from '../../types.js'

/** What mapping needs to know about this instance. */
export interface MapContext {
  /** This instance's phone JID, without device part. */
  meJid?: string
  meLid?: string
  /** Epoch ms, for events WhatsApp does not date. */
  now: () => number
}

type Long = { toNumber(): number } | { low: number }

/** Seconds (number or protobuf Long) to epoch ms; undefined when absent or zero. */
export function secondsToMs(value: number | Long | null | undefined): number | undefined {
  const seconds = toNumber(value as number)
  return seconds ? seconds * 1000 : undefined
}

export function longToNumber(value: number | Long | null | undefined): number | undefined {
  const n = toNumber(value as number)
  return n || undefined
}

export function normalizeJid(jid: string | null | undefined): string | undefined {
  if (!jid) return undefined
  return jidNormalizedUser(jid) || undefined
}

/** The phone digits of a phone JID. */
export function phoneOf(jid: string | undefined): string | undefined {
  return jid && isPnUser(jid) ? jid.slice(0, jid.indexOf('@')).split(':')[0] : undefined
}

/**
 * v7 addresses users by LID or phone, and often gives the other one as `…Alt`. Prefer the phone
 * JID (contacts are stored by phone) and keep the LID beside it.
 */
export function preferPhone(
  jid: string | null | undefined,
  alt: string | null | undefined,
): { jid?: string; lid?: string } {
  const main = normalizeJid(jid)
  const other = normalizeJid(alt)
  const lid = isLidUser(main) ? main : isLidUser(other) ? other : undefined
  const phone = isPnUser(main) ? main : isPnUser(other) ? other : undefined
  return { jid: phone ?? main, lid }
}

/** A lid-mapping event when both sides of a user are known. */
export function lidPair(lid: string | undefined, jid: string | undefined): EngineEventItem[] {
  const phone = phoneOf(jid)
  if (!lid || !phone || !isLidUser(lid)) return []
  const data: LidMappingEvent = { lid, phone }
  return [{ type: 'lid-mapping', data }]
}

/** Status posts and channels are not conversations of this platform. */
export function isIgnoredChat(jid: string | null | undefined): boolean {
  return !jid || isJidStatusBroadcast(jid) || !!isJidNewsletter(jid)
}

interface ParticipantLike {
  id: string
  phoneNumber?: string
  lid?: string
  admin?: 'admin' | 'superadmin' | null
}

export function mapParticipant(input: ParticipantLike | string): GroupParticipantInfo {
  const p = typeof input === 'string' ? { id: input } : input
  const id = normalizeJid(p.id) ?? p.id
  const phoneJid = isPnUser(id) ? id : isPnUser(p.phoneNumber) ? normalizeJid(p.phoneNumber) : undefined
  const lid = isLidUser(id) ? id : isLidUser(p.lid) ? normalizeJid(p.lid) : undefined
  const info: GroupParticipantInfo = { jid: phoneJid ?? id }
  if (lid) info.lid = lid
  if (phoneJid) info.phone = phoneOf(phoneJid)
  if (p.admin !== undefined) info.admin = p.admin
  return info
}

import { type BaileysEventMap, type Contact, type GroupMetadata, isLidUser, isPnUser } from 'baileys'
import type { ContactEvent, EngineEventItem, GroupEvent } from '../../types.js'
import {
  lidPair,
  type MapContext,
  mapParticipant,
  normalizeJid,
  phoneOf,
  preferPhone,
  secondsToMs,
} from './context.js'

/** `contacts.upsert` and `contacts.update` (a pushName seen on a message arrives this way too). */
export function mapContact(contact: Partial<Contact>): EngineEventItem[] {
  const id = normalizeJid(contact.id)
  if (!id || !(isPnUser(id) || isLidUser(id))) return []
  const lid = isLidUser(id) ? id : isLidUser(contact.lid) ? normalizeJid(contact.lid) : undefined
  const pn = isPnUser(id) ? id : isPnUser(contact.phoneNumber) ? normalizeJid(contact.phoneNumber) : undefined
  const data: ContactEvent = { jid: pn ?? id }
  if (lid) data.lid = lid
  if (pn) data.phone = phoneOf(pn)
  if (contact.name) data.name = contact.name
  if (contact.notify) data.pushName = contact.notify
  if (contact.verifiedName) data.verifiedName = contact.verifiedName
  return [...lidPair(lid, pn), { type: 'contact', data }]
}

export function mapLidMapping({ lid, pn }: BaileysEventMap['lid-mapping.update']): EngineEventItem[] {
  return lidPair(normalizeJid(lid), normalizeJid(pn))
}

function participantsWithPairs(participants: GroupMetadata['participants']) {
  const mapped = participants.map(mapParticipant)
  const pairs = mapped.flatMap((p) => lidPair(p.lid, p.phone ? p.jid : undefined))
  return { mapped, pairs }
}

/** `groups.upsert`: this instance created or joined a group. */
export function mapGroupUpsert(group: GroupMetadata, ctx: MapContext): EngineEventItem[] {
  const { mapped, pairs } = participantsWithPairs(group.participants ?? [])
  const author = preferPhone(group.author ?? group.owner, group.authorPn ?? group.ownerPn).jid
  const data: GroupEvent = {
    jid: group.id,
    action: 'create',
    participants: mapped,
    subject: group.subject,
    at: secondsToMs(group.creation) ?? ctx.now(),
  }
  if (author) data.author = author
  if (group.desc) data.description = group.desc
  return [...pairs, { type: 'group', data }]
}

/** `groups.update`: subject, description, settings or invite link changed. */
export function mapGroupUpdate(update: Partial<GroupMetadata>, ctx: MapContext): EngineEventItem[] {
  if (!update.id) return []
  const data: GroupEvent = { jid: update.id, action: 'update', participants: [], at: ctx.now() }
  const author = preferPhone(update.author, update.authorPn).jid
  if (author) data.author = author
  if (update.subject !== undefined) data.subject = update.subject
  if (update.desc !== undefined) data.description = update.desc
  if (update.announce !== undefined) data.announce = update.announce
  if (update.restrict !== undefined) data.restrict = update.restrict
  if (update.inviteCode !== undefined) data.inviteCode = update.inviteCode
  return [{ type: 'group', data }]
}

/** `group-participants.update`: members added, removed, promoted, demoted or renumbered. */
export function mapGroupParticipants(
  update: BaileysEventMap['group-participants.update'],
  ctx: MapContext,
): EngineEventItem[] {
  const { mapped, pairs } = participantsWithPairs(update.participants ?? [])
  const data: GroupEvent = { jid: update.id, action: update.action, participants: mapped, at: ctx.now() }
  const author = preferPhone(update.author, update.authorPn).jid
  if (author) data.author = author
  return [...pairs, { type: 'group', data }]
}

/** `messaging-history.set`: only its contacts and LID mappings (history itself is not imported). */
export function mapHistory(history: BaileysEventMap['messaging-history.set']): EngineEventItem[] {
  const items: EngineEventItem[] = []
  for (const { lid, pn } of history.lidPnMappings ?? [])
    items.push(...lidPair(normalizeJid(lid), normalizeJid(pn)))
  for (const contact of history.contacts ?? []) items.push(...mapContact(contact))
  return items
}

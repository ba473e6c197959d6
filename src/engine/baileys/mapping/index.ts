import type { BaileysEventMap } from 'baileys'
import type { EngineEventItem } from '../../types.js'
import {
  mapContact,
  mapGroupParticipants,
  mapGroupUpdate,
  mapGroupUpsert,
  mapHistory,
  mapLidMapping,
} from './contacts-groups.js'
import type { MapContext } from './context.js'
import { mapReaction, mapUpsert, mapUserReceipt } from './messages.js'
import { mapMessageUpdate } from './updates.js'

export { describeContent, textOf } from './content.js'
export type { MapContext } from './context.js'
export { mapMessage, mapReaction, mapUpsert, mapUserReceipt, statusName } from './messages.js'
export { mapMessageUpdate } from './updates.js'

/**
 * Maps one batch of Baileys events (as `ev.process` hands them over, possibly several kinds at
 * once) to engine events. Who and what come first (contacts, LIDs, groups), then messages, then
 * what happened to messages, so that a consumer never sees an update before its message.
 */
export function mapBaileysEvents(events: Partial<BaileysEventMap>, ctx: MapContext): EngineEventItem[] {
  const items: EngineEventItem[] = []
  const history = events['messaging-history.set']
  if (history) items.push(...mapHistory(history))
  for (const contact of events['contacts.upsert'] ?? []) items.push(...mapContact(contact))
  for (const contact of events['contacts.update'] ?? []) items.push(...mapContact(contact))
  const lid = events['lid-mapping.update']
  if (lid) items.push(...mapLidMapping(lid))
  for (const group of events['groups.upsert'] ?? []) items.push(...mapGroupUpsert(group, ctx))
  for (const group of events['groups.update'] ?? []) items.push(...mapGroupUpdate(group, ctx))
  const participants = events['group-participants.update']
  if (participants) items.push(...mapGroupParticipants(participants, ctx))
  const upsert = events['messages.upsert']
  if (upsert) items.push(...mapUpsert(upsert, ctx))
  for (const update of events['messages.update'] ?? []) items.push(...mapMessageUpdate(update, ctx))
  for (const reaction of events['messages.reaction'] ?? []) items.push(...mapReaction(reaction, ctx))
  for (const receipt of events['message-receipt.update'] ?? []) items.push(...mapUserReceipt(receipt, ctx))
  return items
}

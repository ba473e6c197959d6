import { isLidJid } from '../jid.js'
import type { EngineEventItem, GroupParticipantInfo } from '../types.js'
import { phoneOf } from './mapping/context.js'

/** Answers the phone JID of a LID when this session knows it. */
export type LidLookup = (lid: string) => Promise<string | undefined>

/**
 * Replaces the LIDs an event still carries by phone JIDs where the session's LID table knows
 * them, and reports each pair learned this way as a `lid-mapping` event before the event.
 */
export async function resolveLids(item: EngineEventItem, lookup: LidLookup): Promise<EngineEventItem[]> {
  const learned = new Map<string, string>()
  const phoneJid = async (jid: string | undefined): Promise<string | undefined> => {
    if (!jid || !isLidJid(jid)) return undefined
    const cached = learned.get(jid)
    if (cached) return cached
    const pn = await lookup(jid).catch(() => undefined)
    if (pn && phoneOf(pn)) learned.set(jid, pn)
    return pn && phoneOf(pn) ? pn : undefined
  }
  const swap = async (jid: string): Promise<string> => (await phoneJid(jid)) ?? jid
  const out = await resolveItem(item, phoneJid, swap)
  const pairs: EngineEventItem[] = [...learned].map(([lid, pn]) => ({
    type: 'lid-mapping',
    data: { lid, phone: phoneOf(pn)! },
  }))
  return [...pairs, out]
}

async function resolveItem(
  item: EngineEventItem,
  phoneJid: (jid: string | undefined) => Promise<string | undefined>,
  swap: (jid: string) => Promise<string>,
): Promise<EngineEventItem> {
  switch (item.type) {
    case 'message': {
      const data = { ...item.data, chatJid: await swap(item.data.chatJid) }
      const sender = await phoneJid(data.senderJid)
      if (sender) {
        data.senderLid ??= data.senderJid
        data.senderJid = sender
      }
      if (data.mentions) data.mentions = await Promise.all(data.mentions.map(swap))
      return { type: 'message', data }
    }
    case 'reaction':
      return {
        type: 'reaction',
        data: {
          ...item.data,
          chatJid: await swap(item.data.chatJid),
          reactorJid: await swap(item.data.reactorJid),
        },
      }
    case 'receipt': {
      const data = { ...item.data, chatJid: await swap(item.data.chatJid) }
      if (data.participant) data.participant = await swap(data.participant)
      return { type: 'receipt', data }
    }
    case 'edit':
      return { type: 'edit', data: { ...item.data, chatJid: await swap(item.data.chatJid) } }
    case 'revoke':
      return { type: 'revoke', data: { ...item.data, chatJid: await swap(item.data.chatJid) } }
    case 'contact': {
      const pn = item.data.phone ? undefined : await phoneJid(item.data.jid)
      if (!pn) return item
      return { type: 'contact', data: { ...item.data, jid: pn, lid: item.data.jid, phone: phoneOf(pn) } }
    }
    case 'group': {
      const participants = await Promise.all(
        item.data.participants.map(async (p): Promise<GroupParticipantInfo> => {
          const pn = p.phone ? undefined : await phoneJid(p.jid)
          return pn ? { ...p, jid: pn, lid: p.lid ?? p.jid, phone: phoneOf(pn) } : p
        }),
      )
      const author = item.data.author ? await swap(item.data.author) : undefined
      return { type: 'group', data: { ...item.data, participants, ...(author ? { author } : {}) } }
    }
    default:
      return item
  }
}

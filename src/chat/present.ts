import { bool, parseJson } from '../db/dialect.js'
import { isLidJid, phoneOfJid } from '../engine/jid.js'
import type { MessageRow } from '../messages/repository.js'
import type { MessageService } from '../messages/service.js'
import { formatBody, type Mention, mentionCandidates } from './format.js'

export interface Reaction {
  message_id: number
  reactor_jid: string
  reactor_number: string | null
  emoji: string
  from_me: boolean | number
}

export interface Names {
  byPhone: Map<string, string>
  byLid: Map<string, { phone: string; name: string | null }>
}

/** Who "me" is in a chat: the instance's number and WhatsApp name. */
export interface Me {
  phone: string | null
  name: string | null
}

/** The numbers and LIDs a page of messages names (mentions, reactors, senders), to look up at once. */
export function namesNeeded(rows: MessageRow[], reactions: Reaction[]) {
  const phones = new Set<string>()
  const lids = new Set<string>()
  for (const row of rows) {
    for (const digits of mentionCandidates(row.body ?? row.caption)) phones.add(digits)
    for (const jid of parseJson<string[]>(row.mentions, [])) {
      const phone = phoneOfJid(jid)
      if (phone) phones.add(phone)
      else if (isLidJid(jid)) lids.add(`${jid.split(':')[0]!.split('@')[0]!}@lid`)
    }
    if (row.sender_number) phones.add(row.sender_number)
  }
  for (const reaction of reactions) if (reaction.reactor_number) phones.add(reaction.reactor_number)
  return { phones: [...phones], lids: [...lids] }
}

/** `@digits` is a mention when the message lists it, or when it is shaped like a phone number. */
function mentionResolver(row: MessageRow, names: Names, me: Me) {
  const listed = new Map<string, string>()
  for (const jid of parseJson<string[]>(row.mentions, [])) {
    const user = jid.split('@')[0]?.split(':')[0]
    if (user) listed.set(user, jid)
  }
  return (digits: string): Mention | null => {
    const jid = listed.get(digits)
    if (jid && isLidJid(jid)) {
      const known = names.byLid.get(`${digits}@lid`)
      return known ? { phone: known.phone, name: known.name } : { phone: digits, name: null }
    }
    if (!jid && (digits.length < 7 || digits.length > 15)) return null
    const name = digits === me.phone ? me.name : names.byPhone.get(digits)
    return { phone: digits, name: name ?? null }
  }
}

/** Reactions by emoji, in the order each emoji first came: counts, whether one is mine, and who. */
export function groupReactions(reactions: Reaction[], names: Names, me: Me) {
  const groups = new Map<
    string,
    { emoji: string; count: number; has_my_reaction: boolean; reactors: string[]; reactor_names: string[] }
  >()
  for (const reaction of reactions) {
    const group = groups.get(reaction.emoji) ?? {
      emoji: reaction.emoji,
      count: 0,
      has_my_reaction: false,
      reactors: [],
      reactor_names: [],
    }
    const mine = bool(reaction.from_me)
    const number = (mine ? me.phone : null) ?? reaction.reactor_number ?? reaction.reactor_jid.split('@')[0]!
    group.count++
    group.has_my_reaction ||= mine
    group.reactors.push(number)
    group.reactor_names.push(mine ? (me.name ?? 'You') : (names.byPhone.get(number) ?? number))
    groups.set(reaction.emoji, group)
  }
  return [...groups.values()]
}

/** A message in the chat format: the standard fields plus what a chat UI renders directly. */
export function presentChatMessage(
  messages: Pick<MessageService, 'present'>,
  row: MessageRow,
  reactions: Reaction[],
  names: Names,
  me: Me,
) {
  const base = messages.present(row)
  const incoming = row.direction === 'incoming'
  const senderName = incoming
    ? ((row.sender_number ? names.byPhone.get(row.sender_number) : undefined) ??
      row.sender_name ??
      row.sender_number)
    : (me.name ?? row.created_by)
  return {
    ...base,
    is_from_me: !incoming,
    sender_name: senderName ?? null,
    formatted_body: formatBody(row.body ?? row.caption, mentionResolver(row, names, me)),
    grouped_reactions: groupReactions(reactions, names, me),
  }
}

export type ChatMessageView = ReturnType<typeof presentChatMessage>

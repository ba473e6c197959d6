import type { MessageEvent, ReactionEvent, ReceiptEvent, ReceiptStatus } from '../engine/events.js'
import type { InstanceStatus } from '../instances/service.js'

// The inbound worker endpoints take Baileys' own shapes (a WAMessage, a messages.update item, a
// messages.reaction item) as JSON. They are read with the Baileys engine's own mapping, so that a
// worker running elsewhere feeds exactly what the built-in engine would. Baileys is large and
// only needed here on the first such request, so it is loaded then.
type Mapping = typeof import('../engine/baileys/mapping/messages.js')
let mapping: Promise<Mapping> | null = null
const loadMapping = () => {
  mapping ??= import('../engine/baileys/mapping/messages.js')
  return mapping
}

type Json = Record<string, unknown>

/** Protobuf longs arrive as numbers, digit strings or `{low, high}`. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value)
  if (value && typeof value === 'object' && 'low' in value) {
    const { low, high } = value as { low: number; high?: number }
    return (high ?? 0) * 2 ** 32 + (low >>> 0)
  }
  return undefined
}

/** A bare phone number is taken for its user JID. */
export function toJid(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined
  if (value.includes('@')) return value
  const digits = value.replace(/\D/g, '')
  return digits ? `${digits}@s.whatsapp.net` : undefined
}

/** Drops nulls (the documents' payload lists every content type, most as null) and fixes longs. */
function cleanContent(message: unknown): Json {
  const out: Json = {}
  if (!message || typeof message !== 'object') return out
  for (const [key, value] of Object.entries(message as Json)) {
    if (value === null || value === undefined) continue
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const inner: Json = { ...(value as Json) }
      for (const long of ['fileLength', 'seconds', 'senderTimestampMs']) {
        if (long in inner) inner[long] = toNumber(inner[long])
      }
      out[key] = inner
    } else out[key] = value
  }
  return out
}

function keyOf(raw: unknown, fallbackJid?: unknown, participant?: unknown): Json {
  const key = raw && typeof raw === 'object' ? { ...(raw as Json) } : {}
  key['remoteJid'] = toJid(key['remoteJid']) ?? toJid(fallbackJid)
  const member = toJid(key['participant']) ?? toJid(participant)
  if (member) key['participant'] = member
  key['fromMe'] = key['fromMe'] === true
  return key
}

export interface InstanceSelf {
  jid: string | null
  now: () => number
}

/** `/incoming`: a message, or (a reactionMessage) a reaction. Undefined for what is neither. */
export async function mapIncoming(
  payload: Json,
  self: InstanceSelf,
): Promise<{ message: MessageEvent } | { reaction: ReactionEvent } | undefined> {
  const { mapMessage, mapReaction } = await loadMapping()
  const key = keyOf(payload['key'], payload['remoteJid'], payload['participant'])
  const content = cleanContent(payload['message'])
  const ctx = { ...(self.jid ? { meJid: self.jid } : {}), now: self.now }
  const reaction = content['reactionMessage'] as Json | undefined
  if (reaction) {
    const target = keyOf(reaction['key'], key['remoteJid'])
    const items = mapReaction({ key: target as never, reaction: { ...reaction, key } as never }, ctx)
    const item = items[0]
    return item?.type === 'reaction' ? { reaction: item.data } : undefined
  }
  const message = mapMessage(
    {
      key,
      message: content,
      messageTimestamp: toNumber(payload['messageTimestamp']),
      pushName: typeof payload['pushName'] === 'string' ? payload['pushName'] : undefined,
      participant: key['participant'],
    } as never,
    ctx,
    'notify',
  )
  if (!message) return undefined
  delete message.raw
  if (payload['isGroup'] === true) message.isGroup = true
  return { message }
}

const STATUS_NAMES: Record<string, ReceiptStatus> = {
  error: 'error',
  pending: 'pending',
  server_ack: 'sent',
  sent: 'sent',
  delivery_ack: 'delivered',
  delivered: 'delivered',
  read: 'read',
  played: 'played',
}

/** Baileys' `proto.WebMessageInfo.Status` (0 error … 5 played), or its name. */
export async function receiptStatus(value: unknown): Promise<ReceiptStatus | undefined> {
  if (typeof value === 'string' && !/^\d+$/.test(value)) return STATUS_NAMES[value.toLowerCase()]
  const { statusName } = await loadMapping()
  return statusName(toNumber(value))
}

/** `/status`: `{key, status, messageTimestamp}` (or a messages.update item, `{key, update: {status}}`). */
export async function mapStatus(payload: Json, now: () => number): Promise<ReceiptEvent | undefined> {
  const key = keyOf(payload['key'], payload['remoteJid'])
  const update = (payload['update'] ?? {}) as Json
  const status = await receiptStatus(payload['status'] ?? update['status'])
  const id = key['id']
  if (!status || typeof id !== 'string' || !key['remoteJid']) return undefined
  const seconds = toNumber(payload['messageTimestamp'])
  return {
    messageId: id,
    chatJid: key['remoteJid'] as string,
    status,
    at: seconds ? seconds * 1000 : now(),
    ...(typeof key['participant'] === 'string' ? { participant: key['participant'] } : {}),
  }
}

/** `/reaction`: `{key (the message reacted to), reaction: {text, key}, senderJid}`. */
export async function mapReactionPayload(
  payload: Json,
  self: InstanceSelf,
): Promise<ReactionEvent | undefined> {
  const { mapReaction } = await loadMapping()
  const key = keyOf(payload['key'], payload['remoteJid'])
  const reaction = (payload['reaction'] ?? {}) as Json
  const sender = toJid(payload['senderJid'])
  const reactorKey = keyOf(reaction['key'])
  if (!reactorKey['remoteJid']) reactorKey['remoteJid'] = key['remoteJid']
  if (sender && !reactorKey['participant'] && String(key['remoteJid']).endsWith('@g.us')) {
    reactorKey['participant'] = sender
  } else if (sender && !reactorKey['fromMe']) reactorKey['remoteJid'] = sender
  const ctx = { ...(self.jid ? { meJid: self.jid } : {}), now: self.now }
  const items = mapReaction(
    {
      key: key as never,
      reaction: {
        ...reaction,
        key: reactorKey,
        senderTimestampMs: toNumber(reaction['senderTimestampMs']),
      } as never,
    },
    ctx,
  )
  const item = items[0]
  return item?.type === 'reaction' ? item.data : undefined
}

const CONNECTION: Record<string, InstanceStatus> = {
  connected: 'connected',
  open: 'connected',
  qr_ready: 'qr_ready',
  connecting: 'connecting',
  disconnected: 'disconnected',
  offline: 'disconnected',
  close: 'disconnected',
  logged_out: 'logged_out',
}

/** `/connection`: the documented statuses (and Baileys' own `open`/`close`). */
export function connectionStatus(value: unknown): InstanceStatus | undefined {
  return typeof value === 'string' ? CONNECTION[value.toLowerCase()] : undefined
}

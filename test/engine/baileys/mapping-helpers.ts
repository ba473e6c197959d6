import { type BaileysEventMap, makeEventBuffer, proto, type WAMessage, type WAMessageKey } from 'baileys'
import pino from 'pino'
import { afterEach } from 'vitest'
import type { MapContext } from '../../../src/engine/baileys/mapping/index.js'
import { mapBaileysEvents } from '../../../src/engine/baileys/mapping/index.js'
import type { EngineEventItem, EngineEvents } from '../../../src/engine/types.js'

export const ME = '5511900000001@s.whatsapp.net'
export const ME_LID = '111111111111111@lid'
export const CONTACT = '5511987654321@s.whatsapp.net'
export const CONTACT_LID = '222222222222222@lid'
export const GROUP = '120363000000000001@g.us'
export const NOW = Date.UTC(2025, 0, 15, 10, 30)
export const T = 1705312200

export const ctx: MapContext = { meJid: ME, meLid: ME_LID, now: () => NOW }

const buffers: ReturnType<typeof makeEventBuffer>[] = []
afterEach(() => {
  for (const ev of buffers.splice(0)) ev.destroy()
})

type Emit = <K extends keyof BaileysEventMap>(event: K, data: BaileysEventMap[K]) => void

/**
 * Feeds events through Baileys' own event buffer, as the socket does, and maps what it flushes.
 */
export function feed(emit: (emit: Emit) => void, options: { buffered?: boolean } = {}) {
  const ev = makeEventBuffer(pino({ level: 'silent' }))
  buffers.push(ev)
  const items: EngineEventItem[] = []
  ev.process((events) => {
    items.push(...mapBaileysEvents(events, ctx))
  })
  if (options.buffered !== false) ev.buffer()
  emit((event, data) => ev.emit(event, data))
  ev.flush()
  return {
    items,
    types: () => items.map((item) => item.type),
    of<K extends keyof EngineEvents>(type: K): EngineEvents[K][] {
      return items.filter((item) => item.type === type).map((item) => item.data as EngineEvents[K])
    },
  }
}

/** A received message built the way Baileys decodes one, with v7's `…Alt` key fields on top. */
export function waMessage(
  object: proto.IWebMessageInfo,
  alt: Pick<WAMessageKey, 'remoteJidAlt' | 'participantAlt'> = {},
): WAMessage {
  const msg = proto.WebMessageInfo.fromObject(object) as WAMessage
  msg.key = { ...msg.key, ...alt }
  return msg
}

export function incoming(id: string, message: proto.IMessage, extra: proto.IWebMessageInfo = {}): WAMessage {
  return waMessage({
    key: { remoteJid: CONTACT, fromMe: false, id },
    message,
    messageTimestamp: T,
    pushName: 'John Doe',
    ...extra,
  })
}

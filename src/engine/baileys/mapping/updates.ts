import { proto, type WAMessageUpdate } from 'baileys'
import type { EngineEventItem } from '../../types.js'
import { textOf } from './content.js'
import { isIgnoredChat, type MapContext, secondsToMs } from './context.js'
import { chatOf, statusName } from './messages.js'

const { StubType } = proto.WebMessageInfo

/**
 * `messages.update`: statuses (0 error … 5 played), and the edits and revokes Baileys reports
 * here. `key` names the message concerned; for edits and revokes `key.fromMe` says whether this
 * instance made the change.
 */
export function mapMessageUpdate({ key, update }: WAMessageUpdate, ctx: MapContext): EngineEventItem[] {
  const chat = chatOf(key)
  if (!key.id || !chat.jid || isIgnoredChat(chat.jid)) return []
  const base = { messageId: key.id, chatJid: chat.jid }
  const items: EngineEventItem[] = []
  if (update.messageStubType === StubType.REVOKE) {
    items.push({ type: 'revoke', data: { ...base, fromMe: !!key.fromMe, at: ctx.now() } })
  }
  const edited = update.message?.editedMessage?.message
  if (edited) {
    const text = textOf(edited)
    if (text !== undefined) {
      const at = secondsToMs(update.messageTimestamp) ?? ctx.now()
      items.push({ type: 'edit', data: { ...base, text, fromMe: !!key.fromMe, at } })
    }
  }
  const status = statusName(update.status)
  if (status) {
    // Baileys puts the receipt's own time in `messageTimestamp`.
    const at = secondsToMs(update.messageTimestamp) ?? ctx.now()
    const error = status === 'error' ? update.messageStubParameters?.[0] : undefined
    items.push({
      type: 'receipt',
      data: error === undefined ? { ...base, status, at } : { ...base, status, at, error: String(error) },
    })
  }
  return items
}

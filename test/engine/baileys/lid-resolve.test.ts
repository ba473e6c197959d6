import { describe, expect, it } from 'vitest'
import { resolveLids } from '../../../src/engine/baileys/lid-resolve.js'
import type { EngineEventItem } from '../../../src/engine/types.js'

const table = new Map([['222222222222222@lid', '5511987654321@s.whatsapp.net']])
const lookup = async (lid: string) => table.get(lid)

describe('LID resolution', () => {
  it('swaps known LIDs for phone JIDs and reports the pair first', async () => {
    const item: EngineEventItem = {
      type: 'reaction',
      data: {
        messageId: 'M1',
        chatJid: '222222222222222@lid',
        reactorJid: '222222222222222@lid',
        fromMe: false,
        emoji: '👍',
        at: 1,
      },
    }
    expect(await resolveLids(item, lookup)).toEqual([
      { type: 'lid-mapping', data: { lid: '222222222222222@lid', phone: '5511987654321' } },
      {
        type: 'reaction',
        data: {
          ...item.data,
          chatJid: '5511987654321@s.whatsapp.net',
          reactorJid: '5511987654321@s.whatsapp.net',
        },
      },
    ])
  })

  it('leaves unknown LIDs alone and survives a failing lookup', async () => {
    const item: EngineEventItem = {
      type: 'group',
      data: { jid: '1@g.us', action: 'add', at: 1, participants: [{ jid: '999@lid', lid: '999@lid' }] },
    }
    expect(await resolveLids(item, async () => undefined)).toEqual([item])
    expect(await resolveLids(item, async () => Promise.reject(new Error('store down')))).toEqual([item])
  })

  it('fills in contacts and group members known only by LID', async () => {
    const contact: EngineEventItem = {
      type: 'contact',
      data: { jid: '222222222222222@lid', lid: '222222222222222@lid', pushName: 'Jo' },
    }
    const [, resolved] = await resolveLids(contact, lookup)
    expect(resolved).toEqual({
      type: 'contact',
      data: {
        jid: '5511987654321@s.whatsapp.net',
        lid: '222222222222222@lid',
        phone: '5511987654321',
        pushName: 'Jo',
      },
    })
  })
})

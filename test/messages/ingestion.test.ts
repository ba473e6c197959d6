import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EngineEventName, EngineEvents, MessageEvent } from '../../src/engine/events.js'
import { SandboxNetwork } from '../../src/engine/sandbox/index.js'
import { connectedInstance, type Instance } from '../conversations/support.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { TEST_DB } from '../helpers/database.js'
import { eventually } from '../helpers/wait.js'

type Delivered = { [K in EngineEventName]: [K, EngineEvents[K]] }[EngineEventName]

describe(`ingestion of what WhatsApp reports, on ${TEST_DB}`, () => {
  // The test joins the instance's network, so that it can hand the engine any event, several in
  // one turn as a socket's burst would come: they are stored together.
  const network = new SandboxNetwork()
  let app: TestApp
  let instance: Instance
  let ids = 0

  beforeAll(async () => {
    app = await startTestApp({ deps: { sandboxNetwork: network } })
    const owner = await app.register()
    instance = await connectedInstance(app, owner.token, '15552220001')
  })
  afterAll(() => app.close())

  const jid = (phone: string) => `${phone}@s.whatsapp.net`
  const nextId = () => `3EB0TEST${String(++ids).padStart(8, '0')}`

  function incoming(from: string, text: string | undefined, extra: Partial<MessageEvent> = {}): MessageEvent {
    return {
      direction: 'in',
      id: nextId(),
      chatJid: jid(from),
      senderJid: jid(from),
      fromMe: false,
      timestamp: Date.now(),
      type: 'text',
      ...(text === undefined ? {} : { text }),
      isGroup: false,
      ...extra,
    }
  }

  function burst(events: Delivered[]): void {
    network.deliver(instance.phone, (peer) => {
      for (const [name, data] of events) peer.receive(name, data as never)
    })
  }

  const db = () => app.database.db

  async function eventsAfter(seq: number) {
    const rows = await db()
      .selectFrom('events')
      .select(['id', 'type', 'payload'])
      .where('instance_id', '=', instance.id)
      .where('id', '>', seq)
      .orderBy('id')
      .execute()
    return rows.map((row) => {
      const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as {
        data: Record<string, unknown>
      }
      return { type: row.type, whatsapp: payload.data['whatsapp_message_id'] ?? payload.data['phone_number'] }
    })
  }

  async function lastSeq(): Promise<number> {
    const row = await db()
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst()
    return Number(row?.max ?? 0)
  }

  const message = (whatsappId: string) =>
    db()
      .selectFrom('messages')
      .select(['body', 'is_placeholder', 'status', 'conversation_id', 'sender_name'])
      .where('instance_id', '=', instance.id)
      .where('whatsapp_message_id', '=', whatsappId)
      .execute()

  const conversation = (phone: string) =>
    db()
      .selectFrom('conversations')
      .leftJoin('messages', 'messages.id', 'conversations.last_message_id')
      .select([
        'conversations.unread_count',
        'conversations.is_archived',
        'conversations.last_message_preview',
        'conversations.contact_id',
        'messages.whatsapp_message_id as last_whatsapp_id',
      ])
      .where('conversations.instance_id', '=', instance.id)
      .where('conversations.chat_jid', '=', jid(phone))
      .executeTakeFirstOrThrow()

  const contact = (phone: string) =>
    db()
      .selectFrom('contacts')
      .select(['id', 'push_name', 'search_text'])
      .where('instance_id', '=', instance.id)
      .where('phone_number', '=', phone)
      .executeTakeFirstOrThrow()

  it('stores a burst in its order: contacts, placeholders and their real message, replays, receipts', async () => {
    const ana = '15552221001'
    const bia = '15552221002'
    const caio = '15552221003'
    // Ana wrote before, and her conversation was archived since.
    const earlier = incoming(ana, 'earlier', { pushName: 'Ana' })
    burst([['message', earlier]])
    await eventually(async () => expect(await message(earlier.id)).toHaveLength(1))
    await db()
      .updateTable('conversations')
      .set({ is_archived: true, archived_at: new Date().toISOString() })
      .where('chat_jid', '=', jid(ana))
      .execute()
    const from = await lastSeq()

    const a1 = incoming(ana, 'first', { pushName: 'Ana Maria' })
    const placeholder = incoming(bia, undefined, { placeholder: true, pushName: 'Bia' })
    const b1 = incoming(bia, 'hello', { pushName: 'Bia' })
    const real = { ...placeholder, text: 'decrypted at last', placeholder: undefined }
    const a2 = incoming(ana, 'second')
    const out: MessageEvent = {
      direction: 'out',
      id: nextId(),
      chatJid: jid(caio),
      senderJid: jid(instance.phone),
      fromMe: true,
      timestamp: Date.now(),
      type: 'text',
      text: 'sent from the phone',
      isGroup: false,
    }
    burst([
      ['contact', { jid: jid(ana), phone: ana, pushName: 'Ana Maria' }],
      ['message', a1],
      ['message', placeholder],
      ['message', b1],
      ['message', real],
      ['message', { ...a1, text: 'a replay changes nothing' }],
      ['message', a2],
      ['message', out],
      ['receipt', { messageId: out.id, chatJid: jid(caio), status: 'delivered', at: Date.now() }],
    ])

    await eventually(async () => expect((await eventsAfter(from)).length).toBe(8))
    expect(await eventsAfter(from)).toEqual([
      { type: 'contact.update', whatsapp: ana },
      { type: 'message.received', whatsapp: a1.id },
      { type: 'message.received', whatsapp: b1.id },
      { type: 'message.received', whatsapp: placeholder.id },
      { type: 'message.received', whatsapp: a2.id },
      { type: 'message.sent', whatsapp: out.id },
      { type: 'message.status', whatsapp: out.id },
      { type: 'message.delivered', whatsapp: out.id },
    ])

    expect(await message(a1.id)).toEqual([
      expect.objectContaining({ body: 'first', sender_name: 'Ana Maria' }),
    ])
    expect(await message(placeholder.id)).toEqual([
      expect.objectContaining({
        body: 'decrypted at last',
        is_placeholder: TEST_DB === 'postgres' ? false : 0,
      }),
    ])
    expect(await message(out.id)).toEqual([expect.objectContaining({ status: 'delivered' })])

    // Ana's conversation: both new messages unread, the last one shown, out of the archive.
    expect(await conversation(ana)).toMatchObject({
      unread_count: 3,
      last_whatsapp_id: a2.id,
      last_message_preview: 'second',
    })
    expect(Boolean((await conversation(ana)).is_archived)).toBe(false)
    // Bia's: the placeholder counted as it arrived; her last message is the one after it.
    expect(await conversation(bia)).toMatchObject({ unread_count: 2, last_whatsapp_id: b1.id })
    // Our own message to Caio is not unread, and made his contact.
    expect(await conversation(caio)).toMatchObject({ unread_count: 0, last_whatsapp_id: out.id })

    // A push name stays when a later message tells none; contacts are found by their names.
    expect(await contact(ana)).toMatchObject({ push_name: 'Ana Maria' })
    expect((await contact(ana)).search_text).toContain('ana maria')
    expect(await contact(bia)).toMatchObject({ push_name: 'Bia' })
    expect((await conversation(bia)).contact_id).toBe((await contact(bia)).id)
    expect((await contact(caio)).push_name).toBeNull()
  })

  it('replaces a placeholder stored in an earlier burst, once, and ignores replays', async () => {
    const dora = '15552221004'
    const placeholder = incoming(dora, undefined, { placeholder: true, pushName: 'Dora' })
    burst([['message', placeholder]])
    await eventually(async () => expect(await message(placeholder.id)).toHaveLength(1))
    const from = await lastSeq()

    const real = { ...placeholder, text: 'now readable', placeholder: undefined }
    burst([['message', real]])
    burst([
      ['message', real],
      ['message', placeholder],
    ])
    await eventually(async () => expect(await eventsAfter(from)).toHaveLength(1))
    // Whatever comes after is stored after it: once this one is there, the replays were handled.
    const later = incoming(dora, 'later')
    burst([['message', later]])
    await eventually(async () => expect(await message(later.id)).toHaveLength(1))

    expect(await eventsAfter(from)).toEqual([
      { type: 'message.received', whatsapp: placeholder.id },
      { type: 'message.received', whatsapp: later.id },
    ])
    expect(await message(placeholder.id)).toEqual([
      expect.objectContaining({ body: 'now readable', is_placeholder: TEST_DB === 'postgres' ? false : 0 }),
    ])
    expect(await conversation(dora)).toMatchObject({ unread_count: 2, last_whatsapp_id: later.id })
  })

  it("keeps a contact's own LID: our message's sender LID is ours, a LID chat names the contact", async () => {
    const ours = '900000000001@lid'
    const eva = '15552221005'
    const lid = (phone: string) =>
      db()
        .selectFrom('contacts')
        .select('lid')
        .where('instance_id', '=', instance.id)
        .where('phone_number', '=', phone)
        .executeTakeFirstOrThrow()
    const sent: MessageEvent = {
      direction: 'out',
      id: nextId(),
      chatJid: jid(eva),
      senderJid: jid(instance.phone),
      senderLid: ours,
      fromMe: true,
      timestamp: Date.now(),
      type: 'text',
      text: 'sent from the phone',
      isGroup: false,
    }
    burst([['message', sent]])
    await eventually(async () => expect(await message(sent.id)).toHaveLength(1))
    expect((await lid(eva)).lid).toBeNull()

    const theirs = incoming(eva, 'hi', { senderLid: '900000000005@lid' })
    burst([['message', theirs]])
    await eventually(async () => expect(await message(theirs.id)).toHaveLength(1))
    expect((await lid(eva)).lid).toBe('900000000005@lid')
  })
})

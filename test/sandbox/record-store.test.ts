import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryAuthStateStore } from '../../src/engine/memory-auth-store.js'
import { type AcceptedSend, SandboxEngine, SandboxNetwork } from '../../src/engine/sandbox/index.js'
import type { Clock } from '../../src/lib/clock.js'
import { createSandboxRecordStore } from '../../src/sandbox/record-store.js'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js'

const clockAt = (iso = '2026-01-15T10:00:00Z'): Clock => ({ now: () => new Date(iso) })

describe(`the sandbox record in the database (${TEST_DB})`, () => {
  let testDb: TestDatabase
  beforeAll(async () => {
    testDb = await createTestDatabase()
  })
  afterAll(() => testDb.dispose())

  const rows = (id?: string) => {
    let query = testDb.database.db.selectFrom('sandbox_records').selectAll().orderBy('seq')
    if (id) query = query.where('message_id', '=', id)
    return query.execute()
  }

  it('keeps what the network accepted and gives it back as it was', async () => {
    const store = createSandboxRecordStore(testDb.database.db, clockAt())
    const media: AcceptedSend = {
      instanceId: 'uuid-1',
      from: '15550001111',
      to: '15550002222@s.whatsapp.net',
      id: '3EB0AAAA0001',
      type: 'image',
      caption: 'a picture',
      media: { mimetype: 'image/png', size: 3, fileName: 'p.png' },
      at: Date.UTC(2026, 0, 15, 10, 0, 0, 123),
    }
    const reaction: AcceptedSend = {
      instanceId: 'uuid-1',
      from: '15550001111',
      to: '15550002222@s.whatsapp.net',
      id: '3EB0AAAA0002',
      type: 'reaction',
      targetId: '3EB0AAAA0001',
      emoji: '👍🏽',
      at: Date.UTC(2026, 0, 15, 10, 0, 1),
    }
    await store.add(media)
    await store.add(reaction)
    expect(await store.find(media.from, media.id)).toEqual(media)
    expect(await store.find(reaction.from, reaction.id)).toEqual(reaction)
    expect(await store.find('15550009999', media.id)).toBeUndefined()
    expect(await store.find(media.from, 'UNKNOWN')).toBeUndefined()
  })

  it('makes a resend after a restart the same message: one row, the same answer, no delivery', async () => {
    const clock = clockAt()
    const store = createSandboxRecordStore(testDb.database.db, clock)
    const auth = { me: new MemoryAuthStateStore(), peer: new MemoryAuthStateStore() }
    const boot = async () => {
      const network = new SandboxNetwork({ store })
      const me = new SandboxEngine({ network, instanceId: 'me', auth: auth.me })
      const peer = new SandboxEngine({ network, instanceId: 'peer', auth: auth.peer })
      const received: string[] = []
      peer.on('message', (m) => {
        received.push(m.id)
      })
      return { network, me, peer, received }
    }
    const first = await boot()
    await first.me.connect()
    await first.me.scan('15550003333')
    await first.peer.connect()
    await first.peer.scan('15550004444')
    const sent = await first.me.sendText({ to: '15550004444', text: 'once', id: '3EB0CRASH0001' })
    await first.network.settle()
    expect(first.received).toEqual(['3EB0CRASH0001'])

    const second = await boot()
    await second.me.connect()
    await second.peer.connect()
    expect(await second.me.sendText({ to: '15550004444', text: 'once', id: '3EB0CRASH0001' })).toEqual(sent)
    await second.network.settle()
    expect(second.received).toEqual([])
    expect(await rows('3EB0CRASH0001')).toHaveLength(1)
  })

  it('forgets records older than any message may wait to be sent', async () => {
    const clock = clockAt('2026-03-01T00:00:00Z')
    const store = createSandboxRecordStore(testDb.database.db, clock, { pruneEvery: 2 })
    const at = (iso: string) => Date.parse(iso)
    const send = (id: string, when: string): AcceptedSend => ({
      instanceId: 'old',
      from: '15550005555',
      to: '15550006666@s.whatsapp.net',
      id,
      type: 'text',
      text: id,
      at: at(when),
    })
    await store.add(send('OLD', '2026-01-01T00:00:00Z'))
    await store.add(send('RECENT', '2026-02-15T00:00:00Z'))
    expect(await store.find('15550005555', 'OLD')).toBeUndefined()
    expect(await store.find('15550005555', 'RECENT')).toBeDefined()
  })
})

import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/engine/clock.js'
import { SandboxEngine } from '../../../src/engine/sandbox/engine.js'
import { SandboxNetwork } from '../../../src/engine/sandbox/network.js'
import type { AcceptedSend, SandboxRecordStore } from '../../../src/engine/sandbox/record.js'
import type { AuthStateStore } from '../../../src/engine/types.js'
import { collect } from '../helpers.js'
import { connectedEngine } from './setup.js'

const ME = '5511900000001'
const OTHER = '5511900000002'

/** A store that outlives networks, as a table outlives a process; its writes can be held or failed. */
class TestStore implements SandboxRecordStore {
  readonly rows: AcceptedSend[] = []
  finds = 0
  hold: Promise<void> | null = null
  failNext = false

  async find(from: string, id: string): Promise<AcceptedSend | undefined> {
    this.finds++
    return this.rows.find((row) => row.from === from && row.id === id)
  }

  async add(send: AcceptedSend): Promise<void> {
    await this.hold
    if (this.failNext) {
      this.failNext = false
      throw new Error('disk full')
    }
    this.rows.push(send)
  }
}

async function pair(network: SandboxNetwork, auths?: { me: AuthStateStore; other: AuthStateStore }) {
  if (!auths) {
    const me = await connectedEngine(network, ME)
    const other = await connectedEngine(network, OTHER)
    return { me, other, auths: { me: me.auth, other: other.auth } }
  }
  // A restarted process: the same sessions come back online without a scan.
  const reopen = async (phone: string, auth: AuthStateStore) => {
    const engine = new SandboxEngine({ network, instanceId: `inst-${phone}`, auth })
    const events = collect(engine)
    await engine.connect()
    await network.settle()
    events.clear()
    return { engine, events, auth }
  }
  return { me: await reopen(ME, auths.me), other: await reopen(OTHER, auths.other), auths }
}

describe('sandbox network: a durable record', () => {
  it('answers a resend after a restart from its store: same result, nothing recorded or delivered', async () => {
    const clock = new ManualClock()
    const store = new TestStore()
    const before = new SandboxNetwork({ clock, store })
    const first = await pair(before)
    const id = first.me.engine.generateMessageId()
    const sent = await first.me.engine.sendText({ to: OTHER, text: 'exactly once', id })
    expect(store.rows).toEqual([expect.objectContaining({ id, from: ME, to: `${OTHER}@s.whatsapp.net` })])
    // Generated ids are new by construction: the store is not asked about them.
    const finds = store.finds
    await first.me.engine.sendText({ to: OTHER, text: 'fresh id' })
    expect(store.finds).toBe(finds)

    clock.advance(60_000)
    const after = new SandboxNetwork({ clock, store })
    const second = await pair(after, first.auths)
    expect(await second.me.engine.sendText({ to: OTHER, text: 'exactly once', id })).toEqual(sent)
    await after.settle()
    expect(after.reached()).toEqual([])
    expect(store.rows).toHaveLength(2)
    expect(second.other.events.items).toEqual([])
    expect(second.me.events.items).toEqual([])

    // The chat of that earlier message is still known, for a receipt from its recipient.
    await second.me.engine.receipt(id, 'read')
    expect(second.me.events.of('receipt')).toEqual([
      expect.objectContaining({ messageId: id, chatJid: `${OTHER}@s.whatsapp.net`, status: 'read' }),
    ])

    const next = await second.me.engine.sendText({ to: OTHER, text: 'new after restart', id: `${id}2` })
    await after.settle()
    expect(store.rows.map((row) => row.id)).toContain(next.id)
    expect(second.other.events.of('message').map((m) => m.id)).toEqual([next.id])
  })

  it('resolves a send only once its record is durable, and delivers nothing before', async () => {
    const store = new TestStore()
    const network = new SandboxNetwork({ clock: new ManualClock(), store })
    const { me, other } = await pair(network)
    let release!: () => void
    store.hold = new Promise((resolve) => {
      release = resolve
    })
    let resolved = false
    const sending = me.engine.sendText({ to: OTHER, text: 'wait for it', id: 'HELD0001' }).then((result) => {
      resolved = true
      return result
    })
    await new Promise((resolve) => setImmediate(resolve))
    await network.settle()
    expect(resolved).toBe(false)
    expect(other.events.items).toEqual([])
    expect(network.reached()).toEqual([])
    release()
    await sending
    await network.settle()
    expect(store.rows.map((row) => row.id)).toEqual(['HELD0001'])
    expect(other.events.of('message').map((m) => m.id)).toEqual(['HELD0001'])
  })

  it('does not accept a send whose record failed: nothing delivered, and the retry goes through once', async () => {
    const store = new TestStore()
    const network = new SandboxNetwork({ clock: new ManualClock(), store })
    const { me, other } = await pair(network)
    store.failNext = true
    await expect(me.engine.sendText({ to: OTHER, text: 'retry me', id: 'RETRY001' })).rejects.toThrow(
      'disk full',
    )
    await network.settle()
    expect(other.events.items).toEqual([])
    expect(network.reached()).toEqual([])
    await me.engine.sendText({ to: OTHER, text: 'retry me', id: 'RETRY001' })
    await me.engine.sendText({ to: OTHER, text: 'retry me', id: 'RETRY001' })
    await network.settle()
    expect(store.rows.map((row) => row.id)).toEqual(['RETRY001'])
    expect(other.events.of('message').map((m) => m.id)).toEqual(['RETRY001'])
  })
})

import { describe, expect, it } from 'vitest'
import { EngineError } from '../../../src/engine/errors.js'
import { MemoryAuthStateStore } from '../../../src/engine/memory-auth-store.js'
import { SandboxEngine } from '../../../src/engine/sandbox/engine.js'
import { collect } from '../helpers.js'
import { connectedEngine, makeNetwork } from './setup.js'

describe('sandbox engine: connection', () => {
  it('shows a QR on connect, and connects as the scanned number', async () => {
    const { network, clock } = makeNetwork()
    const engine = new SandboxEngine({ network, instanceId: 'a' })
    const events = collect(engine)
    await engine.connect()
    await network.settle()
    expect(events.types()).toEqual(['connection:connecting', 'qr'])
    const [qr] = events.of('qr')
    expect(qr?.qr).toMatch(/^2@/)
    expect(qr?.expiresAt).toBe(clock.now() + 60_000)
    expect(engine.getState()).toMatchObject({ status: 'connecting', qr: { qr: qr?.qr } })

    const linked = await engine.scan('+55 11 98888-7777')
    expect(linked).toMatchObject({ phone: '5511988887777', jid: '5511988887777@s.whatsapp.net' })
    expect(linked.lid).toMatch(/^\d{15}@lid$/)
    expect(events.types()).toEqual(['connection:connecting', 'qr', 'connection:connected'])
    expect(events.of('connection')[1]).toMatchObject({
      status: 'connected',
      phone: '5511988887777',
      platform: 'sandbox',
    })
    expect(engine.getState()).toMatchObject({ status: 'connected', phone: '5511988887777', qr: undefined })
    expect(engine.getState().connectedAt).toBe(clock.now())
  })

  it('rotates the QR on the clock and gives up after the last one', async () => {
    const { network, clock } = makeNetwork()
    const engine = new SandboxEngine({ network, qr: { firstTtlMs: 1_000, ttlMs: 500, maxCount: 3 } })
    const events = collect(engine)
    await engine.connect()
    clock.advance(999)
    await network.settle()
    expect(events.of('qr')).toHaveLength(1)
    clock.advance(1)
    await network.settle()
    expect(events.of('qr')).toHaveLength(2)
    clock.advance(500)
    await network.settle()
    const codes = events.of('qr').map((qr) => qr.qr)
    expect(new Set(codes).size).toBe(3)
    expect(events.of('qr')[2]?.expiresAt).toBe(clock.now() + 500)
    clock.advance(500)
    await network.settle()
    expect(events.of('connection').at(-1)).toEqual({
      status: 'disconnected',
      reason: 'qr_timeout',
      statusCode: 408,
      reconnect: 'none',
    })
    expect(engine.getState()).toMatchObject({ status: 'disconnected', qr: undefined })
    expect(clock.pendingTimers()).toBe(0)
    await expect(engine.scan()).rejects.toMatchObject({ code: 'INVALID_STATE' })
  })

  it('stops showing QR codes on disconnect', async () => {
    const { network, clock } = makeNetwork()
    const engine = new SandboxEngine({ network })
    const events = collect(engine)
    await engine.connect()
    expect(clock.pendingTimers()).toBe(1)
    await engine.disconnect()
    await network.settle()
    expect(clock.pendingTimers()).toBe(0)
    expect(engine.getState()).toMatchObject({ status: 'disconnected', qr: undefined })
    expect(events.types()).toEqual(['connection:connecting', 'qr', 'connection:disconnected'])
    clock.advance(120_000)
    await network.settle()
    expect(events.of('qr')).toHaveLength(1)
  })

  it('makes up a number when the scan names none', async () => {
    const { network } = makeNetwork()
    const phones = new Set<string>()
    for (let i = 0; i < 3; i++) {
      const engine = new SandboxEngine({ network })
      await engine.connect()
      const { phone } = await engine.scan()
      expect(phone).toMatch(/^\d{11}$/)
      expect(phone.endsWith('0000')).toBe(false)
      phones.add(phone)
    }
    expect(phones.size).toBe(3)
  })

  it('refuses to scan as a number that is not on WhatsApp, or while no QR is shown', async () => {
    const { network } = makeNetwork()
    const engine = new SandboxEngine({ network })
    await expect(engine.scan('5511999990000')).rejects.toMatchObject({ code: 'INVALID_STATE' })
    await engine.connect()
    const error = await engine.scan('5511999990000').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EngineError)
    expect(error).toMatchObject({ code: 'NOT_ON_WHATSAPP', transient: false })
    await expect(engine.scan('not a phone')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('keeps the session across disconnect and restarts, and wipes it on logout', async () => {
    const { network } = makeNetwork()
    const { engine, events, auth } = await connectedEngine(network, '5511911112222')
    await engine.disconnect()
    await network.settle()
    expect(events.of('connection')).toEqual([{ status: 'disconnected', reason: 'closed', reconnect: 'none' }])

    // A new engine on the same store (a process restart) connects without a QR.
    const again = new SandboxEngine({ network, auth })
    const later = collect(again)
    await again.connect()
    await network.settle()
    expect(later.types()).toEqual(['connection:connecting', 'connection:connected'])
    expect(again.getState().phone).toBe('5511911112222')

    await again.logout()
    await network.settle()
    expect(later.of('connection').at(-1)).toMatchObject({
      status: 'logged_out',
      statusCode: 401,
      reconnect: 'none',
    })
    expect(await auth.loadCreds()).toBeNull()
    later.clear()
    await again.connect()
    await network.settle()
    expect(later.types()).toEqual(['connection:connecting', 'qr'])
  })

  it('connect is idempotent while connecting or connected', async () => {
    const { network } = makeNetwork()
    const { engine, events } = await connectedEngine(network, '5511933334444')
    await engine.connect()
    await engine.connect()
    await network.settle()
    expect(events.items).toEqual([])
  })

  it('links through a pairing code', async () => {
    const { network } = makeNetwork()
    const engine = new SandboxEngine({ network, auth: new MemoryAuthStateStore() })
    const code = await engine.requestPairingCode('+1 (555) 010-2030')
    expect(code).toMatch(/^[1-9A-HJ-NP-TV-Z]{8}$/)
    expect(engine.getState().status).toBe('connecting')
    const { phone } = await engine.scan()
    expect(phone).toBe('15550102030')
    await expect(engine.requestPairingCode('15550102030')).rejects.toMatchObject({
      code: 'ALREADY_CONNECTED',
    })
  })

  it('drops and reconnects by itself after the reconnect delay', async () => {
    const { network, clock } = makeNetwork()
    const { engine, events } = await connectedEngine(network, '5511955556666', { reconnectDelayMs: 2_000 })
    await engine.drop()
    expect(events.of('connection')).toEqual([
      { status: 'disconnected', reason: 'connection_lost', statusCode: 428, reconnect: 'self' },
    ])
    expect(engine.getState().status).toBe('disconnected')
    await expect(engine.sendText({ to: '5511900001111', text: 'hi' })).rejects.toMatchObject({
      code: 'NOT_CONNECTED',
    })
    clock.advance(1_999)
    await network.settle()
    expect(engine.getState().status).toBe('disconnected')
    clock.advance(1)
    await network.settle()
    expect(events.types()).toEqual([
      'connection:disconnected',
      'connection:connecting',
      'connection:connected',
    ])
    expect(engine.getState().status).toBe('connected')
    expect(clock.pendingTimers()).toBe(0)
  })

  it('leaves the reconnection to the supervisor when told to', async () => {
    const { network, clock } = makeNetwork()
    const { engine, events } = await connectedEngine(network, '5511977778888', {
      dropReconnect: 'supervisor',
    })
    await engine.drop()
    expect(events.of('connection')[0]).toMatchObject({ reconnect: 'supervisor' })
    expect(clock.pendingTimers()).toBe(0)
    await engine.connect()
    await network.settle()
    expect(engine.getState().status).toBe('connected')
  })

  it('a reconnection requested while a drop is pending happens once', async () => {
    const { network, clock } = makeNetwork()
    const { engine, events } = await connectedEngine(network, '5511966667777')
    await engine.drop()
    await engine.connect()
    clock.advance(5_000)
    await network.settle()
    expect(events.types()).toEqual([
      'connection:disconnected',
      'connection:connecting',
      'connection:connected',
    ])
  })
})

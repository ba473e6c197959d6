import { describe, expect, it, vi } from 'vitest'
import { deserialize } from '../../../src/engine/baileys/auth-state.js'
import { BaileysEngine } from '../../../src/engine/baileys/engine.js'
import { MemoryAuthStateStore } from '../../../src/engine/memory-auth-store.js'
import { collect } from '../helpers.js'
import { fakeSockets } from './fake-socket.js'

const NOW = Date.UTC(2025, 0, 15, 10, 30)
const ME = { id: '5511900000001:7@s.whatsapp.net', lid: '111111111111111:7@lid', name: 'Shop' }

function setup() {
  const auth = new MemoryAuthStateStore()
  const sockets = fakeSockets()
  const engine = new BaileysEngine({ auth, makeSocket: sockets.makeSocket, now: () => NOW, cacheKeys: false })
  const events = collect(engine)
  return { auth, sockets, engine, events }
}

/** Lets the engine's ordered event queue catch up. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

async function paired() {
  const ctx = setup()
  await ctx.engine.connect()
  await settle()
  ctx.sockets.last.pair(ME)
  await ctx.sockets.last.close(515, 'Stream Errored (restart required)')
  await settle()
  ctx.sockets.last.open()
  await settle()
  ctx.events.clear()
  return ctx
}

describe('Baileys engine: connection', () => {
  it('reports connecting and rotating QR codes with their expiry', async () => {
    const { engine, sockets, events } = setup()
    await engine.connect()
    await settle()
    sockets.last.showQr('2@first')
    sockets.last.showQr('2@second')
    await settle()
    expect(events.types()).toEqual(['connection:connecting', 'qr', 'qr'])
    expect(events.of('qr')).toEqual([
      { qr: '2@first', expiresAt: NOW + 60_000 },
      { qr: '2@second', expiresAt: NOW + 20_000 },
    ])
    expect(engine.getState()).toMatchObject({ status: 'connecting', qr: { qr: '2@second' } })
    expect(sockets.last.config).toMatchObject({ markOnlineOnConnect: false, syncFullHistory: false })
  })

  it('passes socket options through, for a simulator URL', async () => {
    const auth = new MemoryAuthStateStore()
    const sockets = fakeSockets()
    const engine = new BaileysEngine({
      auth,
      makeSocket: sockets.makeSocket,
      socket: { waWebSocketUrl: 'ws://127.0.0.1:9999/ws/chat', connectTimeoutMs: 1_000 },
    })
    await engine.connect()
    expect(sockets.last.config).toMatchObject({
      waWebSocketUrl: 'ws://127.0.0.1:9999/ws/chat',
      connectTimeoutMs: 1_000,
    })
    expect(typeof sockets.last.config.getMessage).toBe('function')
    expect(typeof sockets.last.config.cachedGroupMetadata).toBe('function')
  })

  it('restarts at once on 515 after pairing, then connects and keeps the creds', async () => {
    const { engine, sockets, events, auth } = setup()
    await engine.connect()
    await settle()
    sockets.last.showQr('2@qr')
    sockets.last.pair(ME)
    await sockets.last.close(515, 'Stream Errored (restart required)')
    await settle()
    expect(sockets.made).toHaveLength(2)
    sockets.last.open()
    await settle()
    expect(events.types()).toEqual(['connection:connecting', 'qr', 'connection:connected'])
    expect(events.of('connection')[1]).toEqual({
      status: 'connected',
      phone: '5511900000001',
      jid: '5511900000001@s.whatsapp.net',
      lid: '111111111111111@lid',
      name: 'Shop',
      platform: 'android',
    })
    expect(engine.getState()).toMatchObject({
      status: 'connected',
      phone: '5511900000001',
      connectedAt: NOW,
      qr: undefined,
    })
    const saved = await auth.loadCreds()
    expect(saved).not.toBeNull()
    expect(deserialize<{ me: { id: string } }>(saved!).me.id).toBe(ME.id)
  })

  it('wipes the session and stops on 401', async () => {
    const { engine, sockets, events, auth } = await paired()
    await sockets.last.close(401)
    await settle()
    expect(events.of('connection')).toEqual([
      { status: 'logged_out', reason: 'logged_out', statusCode: 401, reconnect: 'none' },
    ])
    expect(await auth.loadCreds()).toBeNull()
    expect(sockets.made).toHaveLength(2)
    // A new connection starts from fresh creds: a new QR is needed.
    const before = sockets.made[1]!.config.auth.creds.noiseKey.public
    await engine.connect()
    expect(sockets.made).toHaveLength(3)
    expect(sockets.last.config.auth.creds.noiseKey.public).not.toEqual(before)
    expect(sockets.last.config.auth.creds.me).toBeUndefined()
  })

  it.each([
    [403, undefined, 'forbidden', 'none'],
    [440, undefined, 'replaced', 'none'],
    [428, undefined, 'connection_closed', 'supervisor'],
    [408, 'QR refs attempts ended', 'qr_timeout', 'none'],
    [408, 'Timed Out', 'timed_out', 'supervisor'],
    [503, undefined, 'service_unavailable', 'supervisor'],
    [500, undefined, 'bad_session', 'supervisor'],
  ])(
    'reports a %i close (%s) and leaves reconnecting to the rules',
    async (code, message, reason, reconnect) => {
      const { sockets, events, auth } = await paired()
      await sockets.last.close(code, message)
      await settle()
      expect(events.of('connection')).toEqual([
        { status: 'disconnected', reason, statusCode: code, reconnect },
      ])
      expect(sockets.made).toHaveLength(2)
      expect(await auth.loadCreds()).not.toBeNull()
    },
  )

  it('disconnect keeps the session; connect resumes it without a QR', async () => {
    const { engine, sockets, events, auth } = await paired()
    await engine.disconnect()
    expect(events.of('connection')).toEqual([{ status: 'disconnected', reason: 'closed', reconnect: 'none' }])
    expect(engine.getState().status).toBe('disconnected')
    expect(await auth.loadCreds()).not.toBeNull()
    const noise = sockets.last.config.auth.creds.noiseKey.public
    await engine.connect()
    expect(sockets.made).toHaveLength(3)
    expect(sockets.last.config.auth.creds.noiseKey.public).toEqual(noise)
    expect(sockets.last.config.auth.creds.me?.id).toBe(ME.id)
  })

  it('logout unlinks the device and wipes the session', async () => {
    const { engine, sockets, events, auth } = await paired()
    await auth.setKeys([{ type: 'session', id: 'x', value: '{}' }])
    await engine.logout()
    expect(sockets.last.loggedOut).toBe(true)
    expect(events.of('connection')).toEqual([
      { status: 'logged_out', reason: 'logged_out', statusCode: 401, reconnect: 'none' },
    ])
    expect(await auth.loadCreds()).toBeNull()
    expect(auth.countKeys()).toEqual({})
  })

  it('logout without a connection still wipes the session', async () => {
    const { engine, sockets, events, auth } = await paired()
    await sockets.last.close(440)
    await settle()
    await engine.logout()
    expect(events.of('connection').at(-1)).toEqual({
      status: 'logged_out',
      reason: 'logged_out',
      statusCode: 401,
      reconnect: 'none',
    })
    expect(await auth.loadCreds()).toBeNull()
    expect(sockets.last.loggedOut).toBe(false)
  })

  it('asks for a pairing code once WhatsApp offered pairing', async () => {
    const { engine, sockets } = setup()
    const pending = engine.requestPairingCode('+55 11 98888-7777')
    await vi.waitFor(() => expect(sockets.made).toHaveLength(1))
    await settle()
    sockets.last.showQr('2@ready')
    await expect(pending).resolves.toBe('CODE7777')
    await expect(engine.requestPairingCode('not a phone')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('refuses a pairing code for a linked session', async () => {
    const { engine } = await paired()
    await expect(engine.requestPairingCode('5511988887777')).rejects.toMatchObject({
      code: 'ALREADY_CONNECTED',
    })
  })

  it('connect is idempotent while a socket lives, and concurrent calls share one session', async () => {
    const { engine, sockets, auth } = setup()
    await Promise.all([engine.connect(), engine.connect()])
    await engine.connect()
    expect(sockets.made).toHaveLength(1)
    await settle()
    sockets.last.pair(ME)
    await settle()
    expect(await auth.loadCreds()).not.toBeNull()
  })
})

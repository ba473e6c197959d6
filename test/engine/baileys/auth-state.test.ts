import { Curve, proto } from 'baileys'
import { describe, expect, it } from 'vitest'
import { loadAuthState } from '../../../src/engine/baileys/auth-state.js'
import { MemoryAuthStateStore } from '../../../src/engine/memory-auth-store.js'
import type { AuthKeyEntry } from '../../../src/engine/types.js'

describe('Baileys auth state on an AuthStateStore', () => {
  it('starts with fresh creds and reads back what it saved, Buffers included', async () => {
    const store = new MemoryAuthStateStore()
    const first = await loadAuthState(store, { cacheKeys: false })
    expect(await store.loadCreds()).toBeNull()
    expect(first.isPaired()).toBe(false)
    first.state.creds.me = { id: '5511900000001:7@s.whatsapp.net', name: 'Shop' }
    await first.saveCreds()
    expect(typeof (await store.loadCreds())).toBe('string')

    const again = await loadAuthState(store, { cacheKeys: false })
    expect(again.state.creds.me?.id).toBe('5511900000001:7@s.whatsapp.net')
    expect(Buffer.isBuffer(again.state.creds.noiseKey.private)).toBe(true)
    expect(Buffer.from(again.state.creds.noiseKey.private)).toEqual(
      Buffer.from(first.state.creds.noiseKey.private),
    )
    expect(again.state.creds.registrationId).toBe(first.state.creds.registrationId)
  })

  it('keeps keys in rows: written, read, deleted', async () => {
    const store = new MemoryAuthStateStore()
    const { state } = await loadAuthState(store, { cacheKeys: false })
    const preKey = Curve.generateKeyPair()
    const syncKey = proto.Message.AppStateSyncKeyData.fromObject({
      keyData: new Uint8Array([1, 2, 3]),
      timestamp: 42,
    })
    await state.keys.set({
      'pre-key': { '1': preKey, '2': Curve.generateKeyPair() },
      session: { '5511987654321.0': new Uint8Array([9, 8, 7]) },
      'app-state-sync-key': { AAAA: syncKey },
    })
    expect(store.countKeys()).toEqual({ 'pre-key': 2, session: 1, 'app-state-sync-key': 1 })

    const preKeys = await state.keys.get('pre-key', ['1', '3'])
    expect(Object.keys(preKeys)).toEqual(['1'])
    expect(Buffer.from(preKeys['1']!.public)).toEqual(Buffer.from(preKey.public))
    const sessions = await state.keys.get('session', ['5511987654321.0'])
    expect(Buffer.from(sessions['5511987654321.0']!)).toEqual(Buffer.from([9, 8, 7]))
    const sync = await state.keys.get('app-state-sync-key', ['AAAA'])
    expect(sync.AAAA).toBeInstanceOf(proto.Message.AppStateSyncKeyData)
    expect(Buffer.from(sync.AAAA!.keyData!)).toEqual(Buffer.from([1, 2, 3]))

    await state.keys.set({ 'pre-key': { '1': null } })
    expect(await state.keys.get('pre-key', ['1'])).toEqual({})
    expect(store.countKeys()['pre-key']).toBe(1)
  })

  it('resolves keys.set only once the store has written, also behind the cache', async () => {
    let release!: () => void
    const written: AuthKeyEntry[][] = []
    const store = new MemoryAuthStateStore()
    const slow = Object.assign(Object.create(store) as MemoryAuthStateStore, {
      setKeys: async (entries: AuthKeyEntry[]) => {
        await new Promise<void>((resolve) => {
          release = resolve
        })
        written.push(entries)
        await store.setKeys(entries)
      },
    })
    const { state } = await loadAuthState(slow)
    let done = false
    const pending = Promise.resolve(state.keys.set({ session: { a: new Uint8Array([1]) } })).then(() => {
      done = true
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(done).toBe(false)
    release()
    await pending
    expect(done).toBe(true)
    expect(written).toHaveLength(1)
    expect(written[0]?.[0]).toMatchObject({ type: 'session', id: 'a' })
  })

  it('writes creds in order, the last write winning', async () => {
    const store = new MemoryAuthStateStore()
    const writes: string[] = []
    let calls = 0
    const recording = Object.assign(Object.create(store) as MemoryAuthStateStore, {
      saveCreds: async (creds: string) => {
        // The first write is the slowest: a stale write must not land last.
        await new Promise((resolve) => setTimeout(resolve, calls++ === 0 ? 20 : 0))
        writes.push(JSON.parse(creds).me?.name)
        await store.saveCreds(creds)
      },
    })
    const auth = await loadAuthState(recording, { cacheKeys: false })
    auth.state.creds.me = { id: '1@s.whatsapp.net', name: 'first' }
    const one = auth.saveCreds()
    auth.state.creds.me = { id: '1@s.whatsapp.net', name: 'second' }
    const two = auth.saveCreds()
    await Promise.all([one, two])
    expect(writes).toEqual(['second', 'second'])
    expect(JSON.parse((await store.loadCreds())!).me.name).toBe('second')
  })
})

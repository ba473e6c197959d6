import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bool } from '../../src/db/dialect.js'
import { type SandboxEngine, SandboxNetwork } from '../../src/engine/sandbox/index.js'
import type { Supervisor } from '../../src/instances/supervisor.js'
import { defaultEngineFactory } from '../../src/services.js'
import { createInstance, createTenant } from '../helpers/builders.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { eventually } from '../helpers/wait.js'
import { disposeQuietly } from './sandbox-app.js'
import { eventsOf, instanceRow, ScriptedEngine, type Step, supervisorOn } from './support.js'

describe('the supervisor', () => {
  let testDb: TestDatabase
  let tenantId: number
  const running: Supervisor[] = []
  const db = () => testDb.database.db
  const start = (supervisor: Supervisor) => {
    running.push(supervisor)
    return supervisor
  }
  /** A factory of scripted engines that keeps every engine it made, by instance id. */
  const scripted = (script: Step[] = ['open']) => {
    const made: { instanceId: number; engine: ScriptedEngine }[] = []
    const factory = (row: { id: number }) => {
      const engine = new ScriptedEngine(script)
      made.push({ instanceId: row.id, engine })
      return engine
    }
    const last = (id: number) => made.filter((m) => m.instanceId === id).at(-1)!.engine
    return { made, factory, last }
  }

  beforeEach(async () => {
    testDb = await createTestDatabase()
    tenantId = await createTenant(db())
  })
  afterEach(async () => {
    vi.restoreAllMocks()
    for (const supervisor of running.splice(0)) await supervisor.stop()
    await disposeQuietly(testDb)
  })

  /** The gaps between the connection attempts of a never-connecting instance, until the breaker opens. */
  async function attemptGaps(random: number): Promise<number[]> {
    vi.spyOn(Math, 'random').mockReturnValue(random)
    const engines = scripted(['fail'])
    const supervisor = start(
      supervisorOn(db(), 'node-a', engines.factory, {
        backoff: { baseMs: 60, maxMs: 1000, maxFailures: 4 },
      }),
    )
    const id = await createInstance(db(), tenantId)
    await supervisor.connect(id)
    const row = await eventually(async () => {
      const current = await instanceRow(db(), id)
      expect(current.last_error).toMatch(/^Gave up reconnecting after 4 failed attempts/)
      return current
    })
    expect(row).toMatchObject({ status: 'disconnected', owner_id: null })
    expect(bool(row.desired_connected)).toBe(false)
    expect(supervisor.local(id)).toBeNull()
    const { connects } = engines.last(id)
    expect(connects).toHaveLength(4)
    return connects.slice(1).map((at, i) => at - connects[i]!)
  }

  it('retries a failing connection with exponential backoff, then opens the circuit breaker', async () => {
    // Jitter takes each delay between half and all of 60 ms, 120 ms, 240 ms. Timers never fire
    // early, so the lower bounds are exact; upper bounds would measure the machine's load.
    const low = await attemptGaps(0)
    for (const [i, gap] of low.entries()) expect(gap).toBeGreaterThanOrEqual(30 * 2 ** i - 2)
    const high = await attemptGaps(0.999)
    for (const [i, gap] of high.entries()) expect(gap).toBeGreaterThanOrEqual(60 * 2 ** i - 2)
  })

  it('reconnects after a drop it is asked to handle, and resets the backoff once connected', async () => {
    const engines = scripted(['open', 'drop', 'drop', 'open'])
    const supervisor = start(supervisorOn(db(), 'node-a', engines.factory))
    const id = await createInstance(db(), tenantId)
    await supervisor.connect(id)
    await eventually(async () => expect((await instanceRow(db(), id)).status).toBe('connected'))
    const engine = engines.last(id)
    engine.close(428)
    await eventually(async () => {
      expect(engine.connects).toHaveLength(4)
      expect((await instanceRow(db(), id)).status).toBe('connected')
    })
    const types = (await eventsOf(db(), id)).map((e) => `${e.type}:${e.data['status_code'] ?? ''}`)
    expect(types).toEqual([
      'instance.connected:',
      'instance.disconnected:428',
      'instance.disconnected:428',
      'instance.disconnected:428',
      'instance.connected:',
    ])
    // Had the count not started over at `connected`, this fourth failure would open the breaker.
    engine.close(428)
    await eventually(() => expect(engine.connects).toHaveLength(5))
    await eventually(async () => expect((await instanceRow(db(), id)).status).toBe('connected'))
    expect(engines.made).toHaveLength(1)
  })

  it('leaves reconnecting to the engine, or to nobody, when the engine says so', async () => {
    const engines = scripted()
    const supervisor = start(supervisorOn(db(), 'node-a', engines.factory))
    const id = await createInstance(db(), tenantId)
    await supervisor.connect(id)
    await eventually(async () => expect((await instanceRow(db(), id)).status).toBe('connected'))
    engines.last(id).close(428, 'self')
    engines.last(id).close(428, 'none')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(engines.last(id).connects).toHaveLength(1)
    expect((await instanceRow(db(), id)).status).toBe('disconnected')
  })

  it.each([401, 403, 440])(
    'does not reconnect after code %i and stops wanting the connection',
    async (code) => {
      const engines = scripted()
      const supervisor = start(supervisorOn(db(), 'node-a', engines.factory))
      const id = await createInstance(db(), tenantId)
      await supervisor.connect(id)
      await eventually(async () => expect((await instanceRow(db(), id)).status).toBe('connected'))
      engines.last(id).close(code)
      const row = await eventually(async () => {
        const current = await instanceRow(db(), id)
        expect(current.status).toBe('disconnected')
        return current
      })
      expect(row.last_error).toBe(`closed_${code}`)
      expect(bool(row.desired_connected)).toBe(false)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(engines.last(id).connects).toHaveLength(1)
      expect(engines.made).toHaveLength(1)
    },
  )

  it('closes every engine and hands back the leases on stop; a restarted server reconnects without a QR', async () => {
    const logger = pino({ level: 'silent' })
    const first = defaultEngineFactory(new SandboxNetwork(), logger)
    const a = supervisorOn(db(), 'node-a', first)
    await a.start()
    const ids = [await createInstance(db(), tenantId), await createInstance(db(), tenantId)]
    const phones = ['15557770001', '15557770002']
    for (const [i, id] of ids.entries()) {
      await a.connect(id)
      await eventually(async () => expect((await instanceRow(db(), id)).status).toBe('qr_ready'))
      await (a.local(id) as SandboxEngine).scan(phones[i])
      await eventually(async () => expect((await instanceRow(db(), id)).status).toBe('connected'))
    }
    const engines = ids.map((id) => a.local(id)!)
    await a.stop()
    expect(engines.map((engine) => engine.getState().status)).toEqual(['disconnected', 'disconnected'])
    for (const id of ids) {
      const row = await instanceRow(db(), id)
      expect(row).toMatchObject({ status: 'disconnected', owner_id: null, lease_expires_at: null })
      expect(bool(row.desired_connected)).toBe(true)
    }
    expect(await db().selectFrom('cluster_nodes').selectAll().execute()).toEqual([])

    // Another process, with its own simulated network, on the same database.
    const b = start(supervisorOn(db(), 'node-b', defaultEngineFactory(new SandboxNetwork(), logger)))
    await b.start()
    for (const [i, id] of ids.entries()) {
      const row = await eventually(async () => {
        const current = await instanceRow(db(), id)
        expect(current.status).toBe('connected')
        return current
      })
      expect(row).toMatchObject({ owner_id: 'node-b', phone_number: phones[i] })
      const types = (await eventsOf(db(), id)).map((e) => e.type)
      expect(types).toEqual([
        'instance.qr',
        'instance.connected',
        'instance.disconnected',
        'instance.connected',
      ])
    }
  })

  it('shares the instances out between two processes and takes over those of a crashed one', async () => {
    const engines = scripted()
    const ids: number[] = []
    for (let i = 0; i < 4; i++) ids.push(await createInstance(db(), tenantId))
    await db().updateTable('instances').set({ desired_connected: true }).execute()
    // Leases of a few seconds: a round that a loaded machine holds up for a second must not
    // cost a node its leases while its engines are still connected.
    const leases = { leaseSeconds: 3 }
    const a = start(supervisorOn(db(), 'node-a', engines.factory, leases))
    await a.start()
    await eventually(() => expect(ids.filter((id) => a.local(id))).toHaveLength(4))

    // Node b is driven by hand, so that it can "crash": stop renewing without letting go.
    const b = supervisorOn(db(), 'node-b', engines.factory, leases)
    let ticks: NodeJS.Timeout | null = setInterval(() => void b.runTick(), 100)
    const overlaps: number[] = []
    const sampler = setInterval(() => {
      for (const id of ids) {
        const open = engines.made.filter(
          (m) => m.instanceId === id && m.engine.getState().status === 'connected',
        )
        if (open.length > 1) overlaps.push(id)
      }
    }, 5)
    try {
      const owners = await eventually(async () => {
        const rows = await db().selectFrom('instances').select(['id', 'owner_id']).orderBy('id').execute()
        expect(rows.filter((r) => r.owner_id === 'node-a')).toHaveLength(2)
        expect(rows.filter((r) => r.owner_id === 'node-b')).toHaveLength(2)
        return rows
      })
      // A lease is claimed in the database first and its engine started right after.
      await eventually(() => {
        for (const { id, owner_id } of owners) {
          expect(Boolean(a.local(id)), `instance ${id}`).toBe(owner_id === 'node-a')
          expect(Boolean(b.local(id)), `instance ${id}`).toBe(owner_id === 'node-b')
        }
      })
      await eventually(async () => {
        const rows = await db().selectFrom('instances').select('status').execute()
        expect(rows.map((r) => r.status)).toEqual(['connected', 'connected', 'connected', 'connected'])
      })
      expect(overlaps).toEqual([])
    } finally {
      clearInterval(sampler)
      clearInterval(ticks)
      ticks = null
    }

    // Node b is gone without a word (its round under way, if any, ends first): once its leases
    // lapse, node a holds everything.
    await b.runTick()
    const orphaned = ids.map((id) => b.local(id)).filter((engine) => engine !== null)
    expect(orphaned).toHaveLength(2)
    await eventually(async () => {
      const rows = await db().selectFrom('instances').select('owner_id').execute()
      expect(rows.map((r) => r.owner_id)).toEqual(['node-a', 'node-a', 'node-a', 'node-a'])
      expect(ids.filter((id) => a.local(id))).toHaveLength(4)
    }, 15_000)
    // Were it only paused, its next round finds the leases gone and closes its engines.
    await b.runTick()
    expect(orphaned.map((engine) => engine.getState().status)).toEqual(['disconnected', 'disconnected'])
    await b.stop()
    await eventually(async () => {
      const rows = await db().selectFrom('instances').select(['owner_id', 'status']).execute()
      expect(rows.map((r) => `${r.owner_id} ${r.status}`)).toEqual(Array(4).fill('node-a connected'))
    })
    for (const id of ids) {
      const open = engines.made.filter(
        (m) => m.instanceId === id && m.engine.getState().status === 'connected',
      )
      expect(open, `instance ${id}`).toHaveLength(1)
    }
  })

  it('makes one engine however many callers connect an instance at once', async () => {
    const engines = scripted()
    const supervisor = start(supervisorOn(db(), 'node-a', engines.factory))
    const id = await createInstance(db(), tenantId)
    await Promise.all([supervisor.connect(id), supervisor.connect(id), supervisor.connect(id)])
    await eventually(async () => expect((await instanceRow(db(), id)).status).toBe('connected'))
    expect(engines.made).toHaveLength(1)
  })

  it('keeps going when an engine cannot be made', async () => {
    const engines = scripted()
    const broken = await createInstance(db(), tenantId, { engine: 'baileys' })
    const fine = await createInstance(db(), tenantId)
    await db().updateTable('instances').set({ desired_connected: true }).execute()
    const supervisor = start(
      supervisorOn(db(), 'node-a', (row) => {
        if (row.engine === 'baileys') throw new Error('The Baileys engine is not available in this build')
        return engines.factory(row)
      }),
    )
    await supervisor.start()
    await eventually(async () => expect((await instanceRow(db(), fine)).status).toBe('connected'))
    const row = await eventually(async () => {
      const current = await instanceRow(db(), broken)
      expect(current.last_error).toMatch(/not available/)
      return current
    })
    expect(row).toMatchObject({ status: 'disconnected', owner_id: null })
    expect(bool(row.desired_connected)).toBe(false)
    await expect(supervisor.connect(broken)).resolves.toBeUndefined()
  })
})

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bool } from '../../src/db/dialect.js'
import type { Supervisor } from '../../src/instances/supervisor.js'
import { createInstance, createTenant } from '../helpers/builders.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { eventually } from '../helpers/wait.js'
import { disposeQuietly } from './sandbox-app.js'
import { instanceRow, ScriptedEngine, supervisorOn } from './support.js'

/**
 * Calls run right after a repository read returned and before the supervisor sees its result,
 * so that they land at an exact point of a supervision round. Each runs once, at the next read.
 */
const after = vi.hoisted(() => ({
  renewal: null as (() => Promise<void>) | null,
  rowRead: null as (() => Promise<void>) | null,
}))

vi.mock('../../src/instances/repository.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/instances/repository.js')>()
  async function then<T>(result: Promise<T>, point: keyof typeof after): Promise<T> {
    const value = await result
    const call = after[point]
    after[point] = null
    if (call) await call()
    return value
  }
  return {
    ...actual,
    renewLeases: (...args: Parameters<typeof actual.renewLeases>) =>
      then(actual.renewLeases(...args), 'renewal'),
    findInstanceById: (...args: Parameters<typeof actual.findInstanceById>) =>
      then(actual.findInstanceById(...args), 'rowRead'),
  }
})

describe('supervision rounds interleaved with calls', () => {
  let testDb: TestDatabase
  let tenantId: number
  let supervisor: Supervisor | null = null
  const db = () => testDb.database.db
  const engines: { instanceId: number; engine: ScriptedEngine }[] = []
  const factory = (row: { id: number }) => {
    const engine = new ScriptedEngine(['open'])
    engines.push({ instanceId: row.id, engine })
    return engine
  }

  beforeEach(async () => {
    after.renewal = null
    after.rowRead = null
    testDb = await createTestDatabase()
    tenantId = await createTenant(db())
    engines.length = 0
  })
  afterEach(async () => {
    await supervisor?.stop()
    supervisor = null
    await disposeQuietly(testDb)
  })

  it('keeps an engine that connect() started while the round renewed its leases', async () => {
    supervisor = supervisorOn(db(), 'node-a', factory, { leaseSeconds: 30 })
    await supervisor.runTick()
    const id = await createInstance(db(), tenantId)
    // The renewal has read the leases (without this one) when connect() claims it and starts it.
    after.renewal = () => supervisor!.connect(id)
    await supervisor.runTick()
    expect(after.renewal).toBeNull()

    const engine = supervisor.local(id)
    expect(engine, 'the engine connect() started').not.toBeNull()
    expect(engine!.getState().status).toBe('connected')
    expect(engines.filter((e) => e.instanceId === id)).toHaveLength(1)
    await eventually(async () =>
      expect(await instanceRow(db(), id)).toMatchObject({ owner_id: 'node-a', status: 'connected' }),
    )
  })

  it('does not bring an engine back that disconnect() stopped after the round read the row', async () => {
    supervisor = supervisorOn(db(), 'node-a', factory, { leaseSeconds: 30 })
    const id = await createInstance(db(), tenantId)
    await supervisor.connect(id)
    expect(supervisor.local(id)).not.toBeNull()
    // Instances another process holds make this one's share large enough for an engine to stay
    // (else the end of the round would hand it back as excess and hide the race).
    for (let i = 0; i < 2; i++) {
      await db()
        .updateTable('instances')
        .set({
          desired_connected: true,
          owner_id: 'node-b',
          lease_expires_at: new Date(Date.now() + 60_000).toISOString(),
        })
        .where('id', '=', await createInstance(db(), tenantId))
        .execute()
    }
    // The round has read `desired_connected: true` when disconnect() stops the engine.
    after.rowRead = () => supervisor!.disconnect(id)
    await supervisor.runTick()
    expect(after.rowRead).toBeNull()

    expect(supervisor.local(id), 'an engine running without a lease').toBeNull()
    expect(engines.filter((e) => e.engine.getState().status === 'connected')).toEqual([])
    const row = await instanceRow(db(), id)
    expect(row.owner_id).toBeNull()
    expect(bool(row.desired_connected)).toBe(false)
  })
})

import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { DB } from '../db/schema.js'
import type { ConnectionEvent, EngineEvents, QrEvent } from '../engine/events.js'
import type { AuthStateStore, Engine } from '../engine/types.js'
import { appendEvent } from '../events/outbox.js'
import { addSeconds, type Clock } from '../lib/clock.js'
import { createDbAuthStore } from './auth-store.js'
import * as repo from './repository.js'

export type InstanceRow = NonNullable<Awaited<ReturnType<typeof repo.findInstanceById>>>

/** Makes the engine of an instance; production makes real ones, tests may point them elsewhere. */
export type EngineFactory = (instance: InstanceRow, auth: AuthStateStore) => Engine

/** Anything an engine reports, with the instance it came from (for ingestion and the like). */
export type EngineEventListener = <K extends keyof EngineEvents>(
  instance: { id: number; uuid: string; tenantId: number },
  event: K,
  data: EngineEvents[K],
) => void | Promise<void>

export interface SupervisorOptions {
  db: Kysely<DB>
  clock: Clock
  logger: Logger
  factory: EngineFactory
  /** This process's id in the cluster. */
  nodeId: string
  /** Where other processes reach this one (for calls forwarded to the owner). */
  address?: string | null
  /** A lease not renewed for this long lapses and another process takes the instance over. */
  leaseSeconds?: number
  tickMs?: number
  backoff?: { baseMs: number; maxMs: number; maxFailures: number }
  /** Called after events were appended, so that the dispatcher picks them up at once. */
  onEventsAppended?: () => void
}

interface Slot {
  instance: { id: number; uuid: string; tenantId: number }
  engine: Engine
  failures: number
  reconnectTimer: NodeJS.Timeout | null
  status: string
  /** Stopped because another process took the lease: what this engine says next is not ours to store. */
  detached: boolean
  /** The engine's events, handled one after another in the order it emitted them. */
  queue: Promise<void>
  /** Traffic handed over and not stored yet: closing the slot waits for it. */
  storing: Set<Promise<void>>
}

/** Codes after which reconnecting is wrong: logged out, forbidden, replaced by another session. */
const NO_RECONNECT = new Set([401, 403, 440])

/** How long closing a connection waits for the engine to report it. */
const CLOSE_REPORT_MS = 2000

/** Resolves at the engine's next `connection` event, or after `ms`. */
function nextConnectionEvent(engine: Engine, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      engine.off('connection', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    timer.unref()
    engine.on('connection', done)
  })
}

/**
 * Holds the WhatsApp connections of the instances this process owns. Ownership is a lease row
 * renewed every few seconds; a process that stops renewing (killed) loses its instances to the
 * others within `leaseSeconds`. Instances are shared out evenly among the live processes.
 */
export function createSupervisor(options: SupervisorOptions) {
  const { db, clock, logger, nodeId } = options
  const leaseSeconds = options.leaseSeconds ?? 15
  const tickMs = options.tickMs ?? 5000
  const backoff = options.backoff ?? { baseMs: 1000, maxMs: 60_000, maxFailures: 10 }
  const slots = new Map<number, Slot>()
  const listeners: EngineEventListener[] = []
  /**
   * Bumped whenever an instance's connection is stopped here. Starting one takes awaits (the row,
   * the lease); a start that began before a stop (a round that read `desired_connected` just
   * before a disconnect) must not bring the engine back after it.
   */
  const stops = new Map<number, number>()
  const stopsOf = (instanceId: number) => stops.get(instanceId) ?? 0
  let ticker: NodeJS.Timeout | null = null
  let ticking: Promise<void> | null = null
  let stopped = false

  const nowIso = () => clock.now().toISOString()
  const leaseUntil = () => addSeconds(clock.now(), leaseSeconds).toISOString()

  async function saveStatus(
    slot: Slot,
    patch: Parameters<typeof repo.updateInstance>[2],
    event?: { type: string; data: Record<string, unknown> },
  ): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await repo.updateInstance(trx, slot.instance.id, { ...patch, updated_at: nowIso() })
      if (event) {
        await appendEvent(trx, clock, {
          tenantId: slot.instance.tenantId,
          instanceId: slot.instance.id,
          instanceUuid: slot.instance.uuid,
          type: event.type,
          data: event.data,
        })
      }
    })
    if (event) options.onEventsAppended?.()
  }

  async function onQr(slot: Slot, qr: QrEvent): Promise<void> {
    const previous = slot.status
    slot.status = 'qr_ready'
    const generatedAt = nowIso()
    await saveStatus(
      slot,
      {
        status: 'qr_ready',
        qr_code_text: qr.qr,
        qr_generated_at: generatedAt,
        qr_expires_at: new Date(qr.expiresAt).toISOString(),
      },
      {
        type: 'instance.qr',
        data: {
          previous_status: previous,
          new_status: 'qr_ready',
          qr_code_text: qr.qr,
          qr: qr.qr,
          qr_generated_at: generatedAt,
          expires_at: new Date(qr.expiresAt).toISOString(),
        },
      },
    )
  }

  function scheduleReconnect(slot: Slot, reason: string): void {
    slot.failures += 1
    if (slot.failures >= backoff.maxFailures) {
      // Circuit breaker: stop hammering WhatsApp; a manual reconnect starts over.
      logger.warn({ instance: slot.instance.id, failures: slot.failures }, 'giving up reconnecting')
      void stopSlot(slot.instance.id, { release: true }).then(() =>
        saveStatus(slot, {
          status: 'disconnected',
          desired_connected: false,
          last_error: `Gave up reconnecting after ${slot.failures} failed attempts (last: ${reason})`,
        }),
      )
      return
    }
    const exponential = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (slot.failures - 1))
    const delay = Math.round(exponential * (0.5 + Math.random() * 0.5))
    slot.reconnectTimer = setTimeout(() => {
      slot.reconnectTimer = null
      if (slots.get(slot.instance.id) !== slot || stopped) return
      slot.engine.connect().catch((error: unknown) => {
        logger.warn({ err: error, instance: slot.instance.id }, 'reconnect failed')
        scheduleReconnect(slot, error instanceof Error ? error.message : String(error))
      })
    }, delay)
    slot.reconnectTimer.unref()
  }

  async function onConnection(slot: Slot, event: ConnectionEvent): Promise<void> {
    const previous = slot.status
    slot.status = event.status
    const at = nowIso()
    if (event.status === 'connecting') {
      await saveStatus(slot, { status: 'connecting' })
      return
    }
    if (event.status === 'connected') {
      slot.failures = 0
      await saveStatus(
        slot,
        {
          status: 'connected',
          phone_number: event.phone ?? null,
          jid: event.jid ?? null,
          profile_name: event.name ?? null,
          platform: event.platform ?? null,
          connected_at: at,
          last_heartbeat_at: at,
          last_error: null,
          qr_code_text: null,
          qr_expires_at: null,
        },
        {
          type: 'instance.connected',
          data: { previous_status: previous, new_status: 'connected', phone_number: event.phone ?? null },
        },
      )
      return
    }
    const reason =
      event.reason ?? (event.statusCode ? `closed with code ${event.statusCode}` : 'connection closed')
    const loggedOut = event.status === 'logged_out'
    await saveStatus(
      slot,
      {
        status: loggedOut ? 'logged_out' : 'disconnected',
        disconnected_at: at,
        last_error: event.reconnect === 'none' && !loggedOut && !event.statusCode ? null : reason,
        qr_code_text: null,
        qr_expires_at: null,
        ...(loggedOut || (event.statusCode && NO_RECONNECT.has(event.statusCode))
          ? { desired_connected: false }
          : {}),
        ...(loggedOut ? { phone_number: null, jid: null, profile_name: null } : {}),
      },
      {
        type: 'instance.disconnected',
        data: {
          previous_status: previous,
          new_status: loggedOut ? 'logged_out' : 'disconnected',
          reason,
          status_code: event.statusCode ?? null,
        },
      },
    )
    if (loggedOut) {
      await createDbAuthStore(db, clock, slot.instance.id).clear()
      await stopSlot(slot.instance.id, { release: true })
      return
    }
    if (event.reconnect === 'supervisor' && !(event.statusCode && NO_RECONNECT.has(event.statusCode))) {
      scheduleReconnect(slot, reason)
    }
  }

  function wire(slot: Slot): void {
    const { engine } = slot
    // One at a time: handled concurrently, a `connecting` write could land after the `qr_ready`
    // that followed it (PostgreSQL runs them on different connections) and stick.
    const guard =
      <T>(fn: (data: T) => Promise<void>) =>
      (data: T) => {
        slot.queue = slot.queue
          .then(() => (slot.detached ? undefined : fn(data)))
          .catch((error: unknown) =>
            logger.error({ err: error, instance: slot.instance.id }, 'engine event failed'),
          )
        return slot.queue
      }
    engine.on(
      'qr',
      guard((qr) => onQr(slot, qr)),
    )
    engine.on(
      'connection',
      guard((event) => onConnection(slot, event)),
    )
    engine.on(
      'lid-mapping',
      guard(async (mapping) => {
        await repo.saveLidMapping(db, slot.instance.id, mapping.lid, mapping.phone, nowIso())
        hand(slot, 'lid-mapping', mapping)
      }),
    )
    for (const name of ['message', 'receipt', 'reaction', 'edit', 'revoke', 'contact', 'group'] as const) {
      engine.on(
        name,
        guard(async (data) => hand(slot, name, data as never)),
      )
    }
  }

  /**
   * Hands one traffic event to the listeners, at its place in the slot's order, without holding
   * the next event until this one is stored: the ingestion keeps each instance's events in order
   * by itself and stores those that wait together in one transaction, which it could not do if
   * every message waited for the one before to commit (a burst from a socket would cost one
   * commit per message). A listener still runs after the previous listeners of the same event
   * (received media is fetched once its message is stored). Closing the slot waits for all of it.
   */
  function hand<K extends keyof EngineEvents>(slot: Slot, name: K, data: EngineEvents[K]): void {
    let done: Promise<void> = Promise.resolve()
    for (const [i, listener] of listeners.entries()) {
      done =
        i === 0
          ? Promise.resolve(listener(slot.instance, name, data))
          : done.then(() => listener(slot.instance, name, data))
    }
    const tracked = done.then(
      () => {},
      (error: unknown) => logger.error({ err: error, instance: slot.instance.id }, 'engine event failed'),
    )
    slot.storing.add(tracked)
    void tracked.then(() => slot.storing.delete(tracked))
  }

  /** Starts the instance's engine, unless it was stopped here since `stopsSeen` was read. */
  async function startSlot(instanceId: number, stopsSeen: number): Promise<Slot | null> {
    const existing = slots.get(instanceId)
    if (existing) return existing
    const row = await repo.findInstanceById(db, instanceId)
    if (!row) return null
    // Another caller (a second request, a round) may have started it while the row loaded.
    const started = slots.get(instanceId)
    if (started) return started
    // Stopped meanwhile (disconnected, logged out, lease lost): whoever stopped it has the last word.
    if (stopsOf(instanceId) !== stopsSeen) return null
    let engine: Engine
    try {
      engine = options.factory(row, createDbAuthStore(db, clock, row.id))
    } catch (error) {
      // No engine for it here (say, one this build lacks): say why and stop wanting it, rather
      // than failing every round (and every instance after it) and every request that touches it.
      logger.error({ err: error, instance: instanceId }, 'cannot make the engine')
      await repo.updateInstance(db, instanceId, {
        status: 'disconnected',
        desired_connected: false,
        last_error: error instanceof Error ? error.message : String(error),
        updated_at: nowIso(),
      })
      await repo.releaseLease(db, instanceId, nodeId)
      return null
    }
    const slot: Slot = {
      instance: { id: row.id, uuid: row.uuid, tenantId: row.tenant_id },
      engine,
      failures: 0,
      reconnectTimer: null,
      status: row.status,
      detached: false,
      queue: Promise.resolve(),
      storing: new Set(),
    }
    slots.set(instanceId, slot)
    wire(slot)
    engine.connect().catch((error: unknown) => {
      logger.warn({ err: error, instance: instanceId }, 'connect failed')
      scheduleReconnect(slot, error instanceof Error ? error.message : String(error))
    })
    return slot
  }

  async function stopSlot(
    instanceId: number,
    how: { release: boolean; logout?: boolean; leaseLost?: boolean },
  ): Promise<void> {
    stops.set(instanceId, stopsOf(instanceId) + 1)
    const slot = slots.get(instanceId)
    if (!slot) return
    slots.delete(instanceId)
    slot.detached = how.leaseLost === true
    if (slot.reconnectTimer) clearTimeout(slot.reconnectTimer)
    // An open engine reports the close as an event: wait until it is stored, so that whoever
    // asked (an API answer) sees the new status. Bounded, for an engine that stays silent.
    const state = slot.engine.getState().status
    const reports = !slot.detached && (how.logout || state === 'connecting' || state === 'connected')
    const reported = reports ? nextConnectionEvent(slot.engine, CLOSE_REPORT_MS) : null
    try {
      if (how.logout) await slot.engine.logout()
      else await slot.engine.disconnect()
    } catch (error) {
      logger.warn({ err: error, instance: instanceId }, 'closing the connection failed')
    }
    if (reported) {
      await reported
      await slot.queue
    }
    await Promise.all(slot.storing)
    if (how.release) await repo.releaseLease(db, instanceId, nodeId)
  }

  /** One round: heartbeat, renew leases, drop what we lost, take our share of what nobody holds. */
  async function tick(): Promise<void> {
    const now = nowIso()
    await repo.heartbeatNode(db, nodeId, options.address ?? null, now)
    // Only the engines running before the renewal can have lost their lease: one that `connect()`
    // started while the renewal ran has a lease the renewal did not see.
    const before = new Map(slots)
    const held = new Set(await repo.renewLeases(db, nodeId, leaseUntil()))
    for (const [id, slot] of before) {
      if (!held.has(id) && slots.get(id) === slot) await stopSlot(id, { release: false, leaseLost: true })
    }
    for (const id of held) {
      const stopsSeen = stopsOf(id)
      const row = await repo.findInstanceById(db, id)
      if (!row?.desired_connected) {
        await stopSlot(id, { release: true })
        await repo.releaseLease(db, id, nodeId)
      } else if (!slots.has(id)) await startSlot(id, stopsSeen)
    }
    const since = new Date(clock.now().getTime() - leaseSeconds * 1000).toISOString()
    const nodes = Math.max(1, (await repo.liveNodes(db, since)).length)
    const share = Math.ceil((await repo.countDesired(db)) / nodes)
    const room = share - slots.size
    if (room < 0) {
      // More than our share (another process joined): hand the excess back for it to take,
      // instances showing a QR last, so that nobody's QR changes under their eyes.
      const excess = [...slots.values()]
        .sort(
          (x, y) =>
            Number(x.status === 'qr_ready') - Number(y.status === 'qr_ready') ||
            y.instance.id - x.instance.id,
        )
        .slice(0, -room)
      for (const slot of excess) await stopSlot(slot.instance.id, { release: true })
      return
    }
    if (room === 0) return
    for (const candidate of await repo.claimableInstances(db, now, room)) {
      const stopsSeen = stopsOf(candidate.id)
      if (await repo.claimLease(db, candidate.id, nodeId, now, leaseUntil())) {
        await startSlot(candidate.id, stopsSeen)
      }
    }
  }

  function runTick(): Promise<void> {
    ticking ??= tick()
      .catch((error: unknown) => logger.error({ err: error }, 'supervisor round failed'))
      .finally(() => {
        ticking = null
      })
    return ticking
  }

  return {
    nodeId,

    onEngineEvent(listener: EngineEventListener): void {
      listeners.push(listener)
    },

    async start(): Promise<void> {
      stopped = false
      await runTick()
      ticker = setInterval(() => void runTick(), tickMs)
      ticker.unref()
    },

    /** Closes every connection (sessions kept) and hands the leases back, so another process can take over at once. */
    async stop(): Promise<void> {
      stopped = true
      if (ticker) clearInterval(ticker)
      await ticking
      await Promise.all([...slots.keys()].map((id) => stopSlot(id, { release: true })))
      await repo.removeNode(db, nodeId)
    },

    /** The instances whose connection this process holds. */
    heldInstances(): number[] {
      return [...slots.keys()]
    },

    /**
     * Where to forward a request that needs the engine of an instance this process does not hold:
     * the address of the live process whose lease holds it. Null when nobody else holds it, when
     * its holder gave no address, or when this process has none (one process: nothing is forwarded).
     */
    async holderAddress(instanceId: number): Promise<string | null> {
      if (!options.address) return null
      const holder = await repo.leaseHolder(db, instanceId, nowIso())
      if (!holder || holder.owner_id === nodeId) return null
      return holder.address
    },

    /** The engine of an instance this process holds, or null. */
    local(instanceId: number): Engine | null {
      return slots.get(instanceId)?.engine ?? null
    },

    /** Wants the instance connected: takes it here if nobody holds it, else its owner's next round does. */
    async connect(instanceId: number): Promise<void> {
      const stopsSeen = stopsOf(instanceId)
      await repo.updateInstance(db, instanceId, { desired_connected: true, updated_at: nowIso() })
      const slot = slots.get(instanceId)
      if (slot) {
        slot.failures = 0
        await slot.engine.connect()
        return
      }
      if (await repo.claimLease(db, instanceId, nodeId, nowIso(), leaseUntil())) {
        await startSlot(instanceId, stopsSeen)
      }
    },

    /** Closes the connection and keeps the session. */
    async disconnect(instanceId: number): Promise<void> {
      await repo.updateInstance(db, instanceId, { desired_connected: false, updated_at: nowIso() })
      await stopSlot(instanceId, { release: true })
    },

    /** Restarts the connection (a fresh socket). */
    async reconnect(instanceId: number): Promise<void> {
      await stopSlot(instanceId, { release: true })
      await this.connect(instanceId)
    },

    /** Unlinks the device and wipes the session. */
    async logout(instanceId: number): Promise<void> {
      await repo.updateInstance(db, instanceId, { desired_connected: false, updated_at: nowIso() })
      await stopSlot(instanceId, { release: true, logout: true })
      await createDbAuthStore(db, clock, instanceId).clear()
    },

    runTick,
  }
}

export type Supervisor = ReturnType<typeof createSupervisor>

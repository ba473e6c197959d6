import type { Kysely } from 'kysely'
import QRCode from 'qrcode'
import { bool, parseJson, toJson } from '../db/dialect.js'
import { preparedQuery } from '../db/prepared.js'
import type { DB } from '../db/schema.js'
import { EngineError, type EngineErrorCode } from '../engine/errors.js'
import type { Engine, EngineKind } from '../engine/types.js'
import { appendEvent } from '../events/outbox.js'
import type { AuthContext } from '../http/auth-context.js'
import { AppError, type ErrorCode, notFound, validationError } from '../http/errors.js'
import { HeldElsewhere } from '../http/forward.js'
import type { Clock } from '../lib/clock.js'
import { type EntityRef, newUuid, parseEntityRef } from '../lib/ids.js'
import * as repo from './repository.js'
import type { InstanceRow, Supervisor } from './supervisor.js'
import type { InstanceTokens } from './tokens.js'

export type InstanceStatus =
  | 'pending'
  | 'qr_ready'
  | 'connecting'
  | 'connected'
  | 'disconnected'
  | 'logged_out'
export const INSTANCE_STATUSES: InstanceStatus[] = [
  'pending',
  'qr_ready',
  'connecting',
  'connected',
  'disconnected',
  'logged_out',
]

/** What other modules report about an instance's traffic (messages, conversations, contacts). */
export interface InstanceUsage {
  /** Messages queued today (UTC): the daily quota's use. */
  sentToday(instanceId: number): Promise<number>
  stats(tenantId: number, instanceId: number): Promise<InstanceTraffic>
}

/** Counts of an instance's stored data; periods start at 00:00 UTC (weeks on Monday). */
export interface InstanceTraffic {
  receivedToday: number
  sentThisWeek: number
  receivedThisWeek: number
  sentThisMonth: number
  receivedThisMonth: number
  failed: number
  conversations: number
  contacts: number
}

const NO_TRAFFIC: InstanceTraffic = {
  receivedToday: 0,
  sentThisWeek: 0,
  receivedThisWeek: 0,
  sentThisMonth: 0,
  receivedThisMonth: 0,
  failed: 0,
  conversations: 0,
  contacts: 0,
}

export interface InstanceInput {
  name?: string | undefined
  engine?: EngineKind | undefined
  daily_limit?: number | undefined
  send_delay_min?: number | undefined
  send_delay_max?: number | undefined
  settings?: Record<string, unknown> | undefined
}

export type InstanceService = ReturnType<typeof createInstanceService>

export function createInstanceService(deps: {
  db: Kysely<DB>
  clock: Clock
  supervisor: Supervisor
  tokens: InstanceTokens
  defaultEngine: EngineKind
  publicUrl: string
  usage: () => InstanceUsage | null
}) {
  const { db, clock, supervisor } = deps
  const now = () => clock.now().toISOString()
  // Every call on an instance looks it up; on SQLite answered from memory until the table changes.
  const cached = { cacheUntilChangeOf: ['instances'] } as const
  const byId = preparedQuery(
    db,
    (tenantId: number, id: number) => repo.instanceQuery(db, tenantId, 'id', id),
    2,
    cached,
  )
  const byUuid = preparedQuery(
    db,
    (tenantId: number, uuid: string) => repo.instanceQuery(db, tenantId, 'uuid', uuid),
    2,
    cached,
  )

  /** The instance named by `ref`, if the caller may see it; 404 otherwise (whoever's it is). */
  async function find(auth: AuthContext, ref: string | EntityRef): Promise<InstanceRow> {
    const parsed = typeof ref === 'string' ? parseEntityRef(ref) : ref
    if (!parsed) throw notFound('Instance')
    const [row] = await ('id' in parsed ? byId(auth.tenantId, parsed.id) : byUuid(auth.tenantId, parsed.uuid))
    if (!row || (auth.instanceId !== null && auth.instanceId !== row.id)) throw notFound('Instance')
    // A copy: the cached row is shared.
    return { ...row }
  }

  function gatewayUrl(id: number): string {
    const url = new URL(deps.publicUrl)
    url.hostname = `instance-${id}.${url.hostname}`
    return url.origin
  }

  async function present(row: InstanceRow) {
    const sentToday = (await deps.usage()?.sentToday(row.id)) ?? 0
    const remaining = Math.max(0, row.daily_limit - sentToday)
    return {
      id: row.id,
      uuid: row.uuid,
      name: row.name,
      engine: row.engine,
      status: row.status,
      connected: row.status === 'connected',
      connecting: row.status === 'connecting',
      phone_number: row.phone_number,
      profile_name: row.profile_name,
      platform: row.platform,
      daily_limit: row.daily_limit,
      send_delay_min: row.send_delay_min,
      send_delay_max: row.send_delay_max,
      settings: parseJson<Record<string, unknown>>(row.settings, {}),
      messages_sent_today: sentToday,
      remaining_quota: remaining,
      can_send_messages: row.status === 'connected' && remaining > 0,
      last_error: row.last_error,
      connected_at: row.connected_at,
      last_activity_at: row.last_activity_at,
      gateway_url: gatewayUrl(row.id),
      created_at: row.created_at,
      updated_at: row.updated_at,
    }
  }

  function assertDelays(min: number, max: number): void {
    if (min > max)
      throw validationError('send_delay_max', 'The send_delay_max field must be at least send_delay_min.')
  }

  /**
   * When another process holds the instance's live connection, throws `HeldElsewhere` so that the
   * request is forwarded to it; else does nothing. Call it before the request changes anything.
   * A request that was itself forwarded is answered here (never forwarded twice).
   */
  async function forwardIfHeldElsewhere(auth: AuthContext, row: InstanceRow): Promise<void> {
    if (auth.forwarded || supervisor.local(row.id)) return
    const address = await supervisor.holderAddress(row.id)
    if (address) throw new HeldElsewhere(address)
  }

  /**
   * The engine of an instance held by this process; forwarded to the process that holds it
   * (`HeldElsewhere`), or 409 when nobody has a live connection.
   */
  async function engineOf(auth: AuthContext, row: InstanceRow): Promise<Engine> {
    const engine = supervisor.local(row.id)
    if (engine) return engine
    await forwardIfHeldElsewhere(auth, row)
    throw new AppError(
      'INSTANCE_NOT_CONNECTED',
      'The instance is not connected. Connect it first (POST /instances/{uuid}/reconnect).',
    )
  }

  return {
    find,
    present,
    engineOf,
    forwardIfHeldElsewhere,

    async list(
      auth: AuthContext,
      filter: { status?: string | undefined },
      page: { limit: number; offset: number },
    ) {
      const { rows, total } = await repo.listInstances(
        db,
        auth.tenantId,
        { status: filter.status, onlyId: auth.instanceId },
        page,
      )
      return { items: await Promise.all(rows.map(present)), total }
    },

    async create(auth: AuthContext, input: InstanceInput) {
      const min = input.send_delay_min ?? 3
      const max = input.send_delay_max ?? Math.max(15, min)
      assertDelays(min, max)
      const at = now()
      const id = await repo.insertInstance(db, {
        uuid: newUuid(),
        tenant_id: auth.tenantId,
        name: input.name?.trim() || 'WhatsApp',
        engine: input.engine ?? deps.defaultEngine,
        status: 'pending',
        phone_number: null,
        daily_limit: input.daily_limit ?? 500,
        send_delay_min: min,
        send_delay_max: max,
        settings: input.settings ? toJson(input.settings) : null,
        created_at: at,
        updated_at: at,
      })
      // A new instance starts connecting at once, so that its QR is soon there to scan.
      await supervisor.connect(id)
      return present((await repo.findInstanceById(db, id))!)
    },

    async update(auth: AuthContext, ref: string, input: Omit<InstanceInput, 'engine'>) {
      const row = await find(auth, ref)
      const min = input.send_delay_min ?? row.send_delay_min
      const max = input.send_delay_max ?? row.send_delay_max
      assertDelays(min, max)
      await repo.updateInstance(db, row.id, {
        ...(input.name !== undefined ? { name: input.name.trim() } : {}),
        ...(input.daily_limit !== undefined ? { daily_limit: input.daily_limit } : {}),
        send_delay_min: min,
        send_delay_max: max,
        ...(input.settings !== undefined
          ? {
              settings: toJson({
                ...parseJson<Record<string, unknown>>(row.settings, {}),
                ...input.settings,
              }),
            }
          : {}),
        updated_at: now(),
      })
      return present((await repo.findInstanceById(db, row.id))!)
    },

    // Connection commands run where the connection is: the holder closes, restarts or unlinks it.

    /** Logs the device out (when it is linked) and deletes the instance with everything of it. */
    async remove(auth: AuthContext, ref: string): Promise<void> {
      const row = await find(auth, ref)
      await forwardIfHeldElsewhere(auth, row)
      await supervisor.logout(row.id)
      await repo.deleteInstance(db, row.id)
    },

    async qr(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      const showing = row.status === 'qr_ready' && row.qr_code_text !== null
      const expired =
        showing && row.qr_expires_at !== null && Date.parse(row.qr_expires_at) <= clock.now().getTime()
      const text = showing && !expired ? row.qr_code_text : null
      return {
        status: row.status,
        qr_code: text ? await QRCode.toDataURL(text) : null,
        qr_code_text: text,
        qr: text,
        qr_generated_at: row.qr_generated_at,
        qr_expired: row.qr_generated_at !== null && !text,
        message: text
          ? 'QR code ready to scan'
          : row.status === 'connected'
            ? 'The instance is already connected'
            : 'No QR code to show right now; connect the instance (POST /instances/{uuid}/reconnect) and ask again',
      }
    },

    async status(auth: AuthContext, ref: string, realtime: boolean) {
      const row = await find(auth, ref)
      if (realtime) await forwardIfHeldElsewhere(auth, row)
      const live = realtime ? supervisor.local(row.id)?.getState() : undefined
      const uptime =
        row.status === 'connected' && row.connected_at
          ? (clock.now().getTime() - Date.parse(row.connected_at)) / 1000
          : 0
      return {
        status: row.status,
        connected: row.status === 'connected',
        connecting: row.status === 'connecting',
        phone_number: row.phone_number,
        phone: row.phone_number,
        phoneNumber: row.phone_number,
        name: row.profile_name,
        platform: row.platform,
        uptime: Math.round(uptime * 10) / 10,
        last_error: row.last_error,
        connected_at: row.connected_at,
        lastHeartbeat: row.last_heartbeat_at,
        realtime: realtime ? { checked: live !== undefined, engine_status: live?.status ?? null } : undefined,
      }
    },

    async stats(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      const usage = deps.usage()
      const [sentToday, traffic] = await Promise.all([
        usage?.sentToday(row.id) ?? 0,
        usage?.stats(auth.tenantId, row.id) ?? NO_TRAFFIC,
      ])
      return {
        messages_sent_today: sentToday,
        remaining_quota: Math.max(0, row.daily_limit - sentToday),
        daily_limit: row.daily_limit,
        messages_this_week: traffic.sentThisWeek + traffic.receivedThisWeek,
        messages_this_month: traffic.sentThisMonth + traffic.receivedThisMonth,
        messages_received_today: traffic.receivedToday,
        conversations_count: traffic.conversations,
        contacts_count: traffic.contacts,
        failed_attempts: traffic.failed,
        last_activity_at: row.last_activity_at,
        messages_sent_this_week: traffic.sentThisWeek,
        messages_received_this_week: traffic.receivedThisWeek,
        messages_sent_this_month: traffic.sentThisMonth,
        messages_received_this_month: traffic.receivedThisMonth,
      }
    },

    async disconnect(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      await forwardIfHeldElsewhere(auth, row)
      await supervisor.disconnect(row.id)
      return present((await repo.findInstanceById(db, row.id))!)
    },

    async reconnect(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      await forwardIfHeldElsewhere(auth, row)
      await supervisor.reconnect(row.id)
      return present((await repo.findInstanceById(db, row.id))!)
    },

    async logout(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      await forwardIfHeldElsewhere(auth, row)
      await supervisor.logout(row.id)
      await repo.updateInstance(db, row.id, {
        status: 'logged_out',
        phone_number: null,
        jid: null,
        profile_name: null,
        qr_code_text: null,
        qr_expires_at: null,
        updated_at: now(),
      })
      return present((await repo.findInstanceById(db, row.id))!)
    },

    async pairingCode(auth: AuthContext, ref: string, phone: string) {
      const row = await find(auth, ref)
      if (row.status === 'connected') throw new AppError('CONFLICT', 'The instance is already connected.')
      await forwardIfHeldElsewhere(auth, row)
      if (!supervisor.local(row.id)) await supervisor.connect(row.id)
      const engine = await engineOf(auth, row)
      try {
        const code = await engine.requestPairingCode(phone)
        return { pairing_code: code, code, phone_number: phone }
      } catch (error) {
        throw engineFailure(error)
      }
    },

    /** Whether the caller may touch an instance's tokens: only user tokens (DECISIONS §3). */
    async listTokens(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      return deps.tokens.list(auth.tenantId, row.id)
    },

    async createToken(auth: AuthContext, ref: string, name: string) {
      const row = await find(auth, ref)
      return deps.tokens.create(auth.tenantId, row.id, name)
    },

    async revokeToken(auth: AuthContext, ref: string, tokenId: number) {
      const row = await find(auth, ref)
      await deps.tokens.revoke(auth.tenantId, row.id, tokenId)
    },

    isConnectedRow: (row: InstanceRow) => row.status === 'connected' && bool(row.desired_connected),

    /**
     * A status reported by a WhatsApp worker running elsewhere (the inbound worker endpoints),
     * stored with the instance.* event the supervisor stores for its own engines. Answers whether
     * an event was appended (the caller wakes the event dispatcher).
     */
    async reportStatus(
      instanceId: number,
      report: { status: InstanceStatus; phone?: string | null; qr?: string; reason?: string | null },
    ): Promise<boolean> {
      const row = await repo.findInstanceById(db, instanceId)
      if (!row) return false
      const at = now()
      const { status } = report
      const phone = report.phone ?? row.phone_number
      const newQr = status === 'qr_ready' && report.qr !== undefined && report.qr !== row.qr_code_text
      if (status === row.status && !newQr && phone === row.phone_number) return false
      const base = { previous_status: row.status, new_status: status }
      let patch: Parameters<typeof repo.updateInstance>[2] = {}
      let event: { type: string; data: Record<string, unknown> } | null = null
      if (status === 'connected') {
        patch = {
          phone_number: phone,
          connected_at: at,
          last_heartbeat_at: at,
          last_error: null,
          qr_code_text: null,
        }
        event = { type: 'instance.connected', data: { ...base, phone_number: phone } }
      } else if (status === 'qr_ready' && newQr) {
        const expires = new Date(clock.now().getTime() + 60_000).toISOString()
        patch = { qr_code_text: report.qr, qr_generated_at: at, qr_expires_at: expires }
        const qr = { qr_code_text: report.qr, qr: report.qr, qr_generated_at: at, expires_at: expires }
        event = { type: 'instance.qr', data: { ...base, ...qr } }
      } else if (status === 'disconnected' || status === 'logged_out') {
        patch = { disconnected_at: at, last_error: report.reason ?? null, qr_code_text: null }
        event = {
          type: 'instance.disconnected',
          data: { ...base, reason: report.reason ?? null, status_code: null },
        }
      }
      await db.transaction().execute(async (trx) => {
        await repo.updateInstance(trx, instanceId, { status, ...patch, updated_at: at })
        if (event) {
          await appendEvent(trx, clock, {
            tenantId: row.tenant_id,
            instanceId,
            instanceUuid: row.uuid,
            type: event.type,
            data: event.data,
          })
        }
      })
      return event !== null
    },
  }
}

const ENGINE_TO_API: Partial<Record<EngineErrorCode, ErrorCode>> = {
  NOT_CONNECTED: 'INSTANCE_NOT_CONNECTED',
  NOT_ON_WHATSAPP: 'NOT_ON_WHATSAPP',
  INVALID_RECIPIENT: 'VALIDATION_ERROR',
  INVALID_ARGUMENT: 'VALIDATION_ERROR',
  MESSAGE_NOT_FOUND: 'NOT_FOUND',
  GROUP_NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  ALREADY_CONNECTED: 'CONFLICT',
  INVALID_STATE: 'CONFLICT',
  UNSUPPORTED: 'BAD_REQUEST',
  SEND_REJECTED: 'ENGINE_ERROR',
  MEDIA_UNAVAILABLE: 'BAD_REQUEST',
}

/** Turns an engine failure into the API's error: permanent ones by their kind, transient ones 503. */
export function engineFailure(error: unknown): AppError {
  if (error instanceof AppError) return error
  if (error instanceof EngineError) {
    const code: ErrorCode =
      ENGINE_TO_API[error.code] ?? (error.transient ? 'SERVICE_UNAVAILABLE' : 'ENGINE_ERROR')
    return new AppError(code, error.message, {}, { extra: { engine_code: error.code } })
  }
  return new AppError('ENGINE_ERROR', 'WhatsApp did not accept the request.')
}

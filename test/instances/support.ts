import type { Kysely } from 'kysely'
import pino from 'pino'
import type { DB } from '../../src/db/schema.js'
import { EngineError } from '../../src/engine/errors.js'
import { EventedEngine } from '../../src/engine/evented.js'
import type { ConnectionEvent, Engine, EngineState } from '../../src/engine/types.js'
import {
  createSupervisor,
  type EngineFactory,
  type SupervisorOptions,
} from '../../src/instances/supervisor.js'
import { systemClock } from '../../src/lib/clock.js'

const silent = pino({ level: 'silent' })

/** What a scripted connection attempt does: fail to open, open, or open and drop at once. */
export type Step = 'fail' | 'open' | 'drop'

/**
 * A stand-in for WhatsApp's side of one connection, driven by the test: each `connect()` follows
 * the next step of its script (the last step repeats), and `close(code)` makes the server end it.
 */
export class ScriptedEngine extends EventedEngine implements Engine {
  readonly kind = 'baileys' as const
  /** When each `connect()` was called (epoch ms). */
  readonly connects: number[] = []
  disconnects = 0
  logouts = 0
  private status: EngineState['status'] = 'idle'

  constructor(
    private readonly script: Step[] = ['open'],
    readonly phone = '15550001111',
  ) {
    super(() => {})
  }

  getState(): EngineState {
    return { status: this.status, ...(this.status === 'connected' ? { phone: this.phone } : {}) }
  }

  async connect(): Promise<void> {
    if (this.status === 'connected' || this.status === 'connecting') return
    this.connects.push(Date.now())
    const step = this.script[Math.min(this.connects.length, this.script.length) - 1]
    if (step === 'fail') throw new EngineError('CONNECTION_CLOSED', 'connection refused')
    this.emit({ status: 'connecting' })
    if (step === 'open')
      this.emit({ status: 'connected', phone: this.phone, jid: `${this.phone}@s.whatsapp.net` })
    else this.close(428)
  }

  /** The server closes the connection with `statusCode`. */
  close(statusCode: number, reconnect: ConnectionEvent['reconnect'] = 'supervisor'): void {
    this.emit({ status: 'disconnected', statusCode, reason: `closed_${statusCode}`, reconnect })
  }

  async disconnect(): Promise<void> {
    this.disconnects++
    if (this.status === 'connected' || this.status === 'connecting')
      this.emit({ status: 'disconnected', reason: 'closed', reconnect: 'none' })
  }

  async logout(): Promise<void> {
    this.logouts++
    this.emit({ status: 'logged_out', reason: 'logged_out', statusCode: 401, reconnect: 'none' })
  }

  private emit(event: ConnectionEvent): void {
    this.status = event.status
    this.emitter.emit('connection', event)
  }

  async requestPairingCode(): Promise<string> {
    return 'ABCD1234'
  }

  generateMessageId = () => 'SCRIPTED'
  sendText = unsupported
  sendMedia = unsupported
  sendReaction = unsupported
  editMessage = unsupported
  revokeMessage = unsupported
  markRead = unsupported
  checkNumbers = unsupported
  listGroups = unsupported
  groupMetadata = unsupported
  createGroup = unsupported
  updateGroupSubject = unsupported
  updateGroupDescription = unsupported
  updateGroupParticipants = unsupported
  groupInviteCode = unsupported
  revokeGroupInvite = unsupported
  leaveGroup = unsupported
  downloadMedia = unsupported
}

async function unsupported(): Promise<never> {
  throw new EngineError('UNSUPPORTED', 'not part of this scripted engine')
}

/** A supervisor on `db` with short timings, as a server process would run it. */
export function supervisorOn(
  db: Kysely<DB>,
  nodeId: string,
  factory: EngineFactory,
  options: Partial<SupervisorOptions> = {},
) {
  return createSupervisor({
    db,
    clock: systemClock,
    logger: silent,
    nodeId,
    factory,
    leaseSeconds: 1,
    tickMs: 100,
    backoff: { baseMs: 40, maxMs: 1000, maxFailures: 4 },
    ...options,
  })
}

/** The instance row as stored. */
export function instanceRow(db: Kysely<DB>, id: number) {
  return db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

/** The outbox events of an instance, oldest first, as `{type, data}`. */
export async function eventsOf(db: Kysely<DB>, instanceId: number) {
  const rows = await db
    .selectFrom('events')
    .select(['type', 'payload'])
    .where('instance_id', '=', instanceId)
    .orderBy('id')
    .execute()
  return rows.map((row) => {
    const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as {
      data: Record<string, unknown>
    }
    return { type: row.type, data: payload.data }
  })
}

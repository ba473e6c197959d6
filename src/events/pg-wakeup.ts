import pg from 'pg'
import type { Logger } from 'pino'
import type { Wakeup } from './dispatcher.js'

const CHANNEL = 'zapini_events'
const RECONNECT_MS = 1000

/**
 * Wake-ups between the processes sharing one PostgreSQL database: after appending events a
 * process sends `NOTIFY zapini_events`, and every process LISTENs and reads the outbox at once.
 * The notification carries nothing: the outbox stays the only source of events, each process
 * reads it with its own cursor, and a notification lost while a connection was down costs
 * at most one poll interval, never an event.
 */
export function createPgWakeup(databaseUrl: string, logger: Logger): Wakeup {
  let client: pg.Client | null = null
  let onWake: () => void = () => {}
  let stopped = false
  let retry: NodeJS.Timeout | null = null
  let sending = false
  let pending = false

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: databaseUrl })
    next.on('notification', () => onWake())
    next.on('error', (error) => {
      logger.warn({ err: error }, 'event wake-up connection lost')
      drop(next)
    })
    await next.connect()
    await next.query(`LISTEN ${CHANNEL}`)
    if (stopped) {
      await next.end()
      return
    }
    client = next
    // Whatever was appended while nobody listened is read now.
    onWake()
  }

  function drop(which: pg.Client): void {
    if (client === which) client = null
    which.end().catch(() => {})
    reconnectLater()
  }

  function reconnectLater(): void {
    if (stopped || retry) return
    retry = setTimeout(() => {
      retry = null
      connect().catch((error: unknown) => {
        logger.warn({ err: error }, 'event wake-up reconnect failed')
        reconnectLater()
      })
    }, RECONNECT_MS)
    retry.unref()
  }

  /** At most one NOTIFY in flight; signals arriving meanwhile are folded into one more. */
  function send(): void {
    const target = client
    if (!target) return
    sending = true
    pending = false
    target
      .query(`NOTIFY ${CHANNEL}`)
      .catch((error: unknown) => logger.debug({ err: error }, 'event wake-up not sent'))
      .finally(() => {
        sending = false
        if (pending) send()
      })
  }

  return {
    async start(wake) {
      stopped = false
      onWake = wake
      try {
        await connect()
      } catch (error) {
        reconnectLater()
        throw error
      }
    },
    signal() {
      if (sending) pending = true
      else send()
    },
    async stop() {
      stopped = true
      if (retry) clearTimeout(retry)
      retry = null
      const current = client
      client = null
      await current?.end().catch(() => {})
    },
  }
}

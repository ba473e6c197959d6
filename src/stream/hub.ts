import type { Logger } from 'pino'
import type { EventDispatcher } from '../events/outbox.js'
import type { Clock } from '../lib/clock.js'
import { wants } from '../webhooks/events.js'
import type { StreamPeer } from './peers.js'

/** What one connection may see and asked to see. */
export interface StreamScope {
  tenantId: number
  /** Only this instance's events (an sk_ token, an instance host, or `?instance=`). */
  instanceId: number | null
  instanceUuid: string | null
  /** Event names, aliases resolved; null: every event. */
  filter: Set<string> | null
}

interface Client extends StreamScope {
  peer: StreamPeer
  /** Events go out only after `stream.ready`, which comes first. */
  ready: boolean
}

const CONSUMER = 'live-stream'

/** A client this far behind is dropped rather than buffered without end. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024

/**
 * The live stream of this process: every process reads the outbox with its own cursor, kept in
 * memory (a stream has no history to resume), and fans each event out to the connections that
 * may see it. Events raised by another process reach this one through the same outbox, as soon
 * as the wake-up channel (PostgreSQL NOTIFY) or the next poll says there is something to read.
 */
export function createStreamHub(deps: {
  dispatcher: EventDispatcher
  clock: Clock
  logger: Logger
  heartbeatMs: number
}) {
  const clients = new Set<Client>()
  let heartbeat: NodeJS.Timeout | null = null

  function send(client: Client, event: string, text: string): void {
    if (!client.peer.isOpen()) return
    if (client.peer.backlog() > MAX_BUFFERED_BYTES) {
      client.peer.close(1013, 'Too far behind; reconnect')
      clients.delete(client)
      return
    }
    client.peer.send(event, text)
  }

  deps.dispatcher.subscribe(
    CONSUMER,
    async (events) => {
      if (clients.size === 0) return
      for (const event of events) {
        let text: string | null = null
        for (const client of clients) {
          if (!client.ready || client.tenantId !== event.tenantId) continue
          if (client.instanceId !== null && client.instanceId !== event.instanceId) continue
          if (!wants(client.filter, event.event)) continue
          // The webhooks' envelope, with the event id for deduplication.
          text ??= JSON.stringify({
            id: event.id,
            event: event.event,
            instance_uuid: event.instance_uuid,
            timestamp: event.timestamp,
            data: event.data,
          })
          send(client, event.event, text)
        }
      }
    },
    { durable: false, active: () => clients.size > 0 },
  )

  function beat(): void {
    const text = JSON.stringify({ event: 'heartbeat', timestamp: deps.clock.now().toISOString() })
    for (const client of clients) {
      // No sign of life since the last beat: the peer is gone without saying so.
      if (!client.peer.probe()) {
        clients.delete(client)
        continue
      }
      send(client, 'heartbeat', text)
    }
  }

  return {
    /** Follows the events the scope allows from now on; says `stream.ready` once that holds. */
    async add(peer: StreamPeer, scope: StreamScope): Promise<void> {
      const client: Client = { ...scope, peer, ready: false }
      peer.onClose(() => clients.delete(client))
      if (!peer.isOpen()) return
      clients.add(client)
      await deps.dispatcher.prime(CONSUMER)
      const ready = {
        event: 'stream.ready',
        timestamp: deps.clock.now().toISOString(),
        data: {
          instance_uuid: scope.instanceUuid,
          events: scope.filter ? [...scope.filter].sort() : null,
          heartbeat_seconds: deps.heartbeatMs / 1000,
        },
      }
      send(client, ready.event, JSON.stringify(ready))
      client.ready = true
    },

    get size(): number {
      return clients.size
    },

    start(): void {
      heartbeat = setInterval(beat, deps.heartbeatMs)
      heartbeat.unref()
    },

    stop(): void {
      if (heartbeat) clearInterval(heartbeat)
      for (const client of clients) client.peer.close(1001, 'Server shutting down')
      clients.clear()
    },
  }
}

export type StreamHub = ReturnType<typeof createStreamHub>

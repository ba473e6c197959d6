/** The events a webhook (or a live stream) can subscribe to (DECISIONS §8). */
export const EVENT_NAMES = [
  'message.received',
  'message.sent',
  'message.status',
  'message.delivered',
  'message.read',
  'message.failed',
  'message.reaction',
  'message.edited',
  'message.deleted',
  'instance.connected',
  'instance.disconnected',
  'instance.qr',
  'contact.update',
] as const

/** The other names the documents use for the same events. */
export const EVENT_ALIASES: Record<string, readonly string[]> = {
  'message.incoming': ['message.received'],
  'message.outgoing': ['message.sent'],
  'connection.update': ['instance.connected', 'instance.disconnected'],
  'qr.update': ['instance.qr'],
  'instance.qr_ready': ['instance.qr'],
}

/** Every name accepted in an `events` list. */
export const SUBSCRIBABLE = [...EVENT_NAMES, ...Object.keys(EVENT_ALIASES)]

/** The event sent by `POST /instances/{uuid}/webhook/test`, whatever the filter. */
export const TEST_EVENT = 'webhook.test'

const KNOWN = new Set<string>(SUBSCRIBABLE)

/** Names in `list` that are neither events nor aliases. */
export function unknownEvents(list: readonly string[]): string[] {
  return list.filter((name) => !KNOWN.has(name))
}

/** The events a list subscribes to, aliases resolved; null (every event) for no list or an empty one. */
export function expandEvents(list: readonly string[] | null | undefined): Set<string> | null {
  if (!list || list.length === 0) return null
  const out = new Set<string>()
  for (const name of list) for (const event of EVENT_ALIASES[name] ?? [name]) out.add(event)
  return out
}

export function wants(filter: Set<string> | null, event: string): boolean {
  return filter === null || filter.has(event)
}

import type { EngineEventItem, EngineEventName, EngineEvents } from '../../src/engine/events.js'
import type { Engine } from '../../src/engine/types.js'

const NAMES: EngineEventName[] = [
  'qr',
  'connection',
  'message',
  'receipt',
  'reaction',
  'edit',
  'revoke',
  'contact',
  'lid-mapping',
  'group',
]

/** Records every event an engine emits, in order. */
export function collect(engine: Engine) {
  const items: EngineEventItem[] = []
  for (const name of NAMES) {
    engine.on(name, (data) => {
      items.push({ type: name, data } as EngineEventItem)
    })
  }
  return {
    items,
    of<K extends EngineEventName>(type: K): EngineEvents[K][] {
      return items.filter((item) => item.type === type).map((item) => item.data as EngineEvents[K])
    },
    types(): string[] {
      return items.map((item) => {
        if (item.type === 'receipt' || item.type === 'connection') return `${item.type}:${item.data.status}`
        return item.type
      })
    },
    clear() {
      items.length = 0
    },
  }
}

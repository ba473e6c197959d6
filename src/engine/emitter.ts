type Listener<T> = (payload: T) => void | Promise<void>

export type ListenerErrorHandler = (error: unknown, event: string) => void

/**
 * A small typed emitter. A throwing (or rejecting) listener is reported to `onError` and never
 * reaches the code that emitted, so one faulty consumer cannot break a connection.
 */
export class TypedEmitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>()

  constructor(private readonly onError: ListenerErrorHandler) {}

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    let set = this.listeners.get(event)
    if (!set) {
      set = new Set()
      this.listeners.set(event, set)
    }
    set.add(listener as Listener<never>)
    return this
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const set = this.listeners.get(event)
    if (set?.delete(listener as Listener<never>) && set.size === 0) this.listeners.delete(event)
    return this
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const wrapper: Listener<Events[K]> = (payload) => {
      this.off(event, wrapper)
      return listener(payload)
    }
    return this.on(event, wrapper)
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event)
    if (!set) return
    // A copy, so that listeners may remove themselves while we iterate.
    for (const listener of [...set]) {
      try {
        const result = (listener as Listener<Events[K]>)(payload)
        if (result && typeof result.then === 'function') {
          result.then(undefined, (error: unknown) => this.onError(error, String(event)))
        }
      } catch (error) {
        this.onError(error, String(event))
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0
  }

  removeAllListeners(): void {
    this.listeners.clear()
  }
}

import { type ListenerErrorHandler, TypedEmitter } from './emitter.js'
import type { EngineEventName, EngineEvents } from './events.js'
import type { EngineListener } from './types.js'

/** The event half of an engine: typed `on`/`off`/`once` over one emitter. */
export abstract class EventedEngine {
  protected readonly emitter: TypedEmitter<EngineEvents>

  constructor(onListenerError: ListenerErrorHandler) {
    this.emitter = new TypedEmitter(onListenerError)
  }

  on<K extends EngineEventName>(event: K, listener: EngineListener<K>): this {
    this.emitter.on(event, listener)
    return this
  }

  off<K extends EngineEventName>(event: K, listener: EngineListener<K>): this {
    this.emitter.off(event, listener)
    return this
  }

  once<K extends EngineEventName>(event: K, listener: EngineListener<K>): this {
    this.emitter.once(event, listener)
    return this
  }
}

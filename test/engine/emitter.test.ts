import { describe, expect, it } from 'vitest'
import { TypedEmitter } from '../../src/engine/emitter.js'
import { EngineError, isEngineError } from '../../src/engine/errors.js'

type Events = { ping: number; pong: string }

describe('typed emitter', () => {
  it('delivers to listeners in order; once fires once; off removes', () => {
    const errors: unknown[] = []
    const emitter = new TypedEmitter<Events>((error) => errors.push(error))
    const seen: string[] = []
    const a = (n: number) => {
      seen.push(`a${n}`)
    }
    emitter.on('ping', a)
    emitter.once('ping', (n) => {
      seen.push(`once${n}`)
    })
    emitter.emit('ping', 1)
    emitter.emit('ping', 2)
    emitter.off('ping', a)
    emitter.emit('ping', 3)
    expect(seen).toEqual(['a1', 'once1', 'a2'])
    expect(emitter.listenerCount('ping')).toBe(0)
    expect(errors).toEqual([])
  })

  it('keeps a failing listener from reaching the emitter or the other listeners', async () => {
    const errors: [unknown, string][] = []
    const emitter = new TypedEmitter<Events>((error, event) => errors.push([error, event]))
    const seen: string[] = []
    emitter.on('pong', () => {
      throw new Error('sync boom')
    })
    emitter.on('pong', async () => {
      throw new Error('async boom')
    })
    emitter.on('pong', (s) => {
      seen.push(s)
    })
    expect(() => emitter.emit('pong', 'x')).not.toThrow()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(seen).toEqual(['x'])
    expect(errors.map(([error, event]) => [(error as Error).message, event])).toEqual([
      ['sync boom', 'pong'],
      ['async boom', 'pong'],
    ])
  })
})

describe('engine errors', () => {
  it('marks transient codes', () => {
    expect(new EngineError('TIMEOUT', 'x').transient).toBe(true)
    expect(new EngineError('CONNECTION_CLOSED', 'x').transient).toBe(true)
    expect(new EngineError('NOT_ON_WHATSAPP', 'x').transient).toBe(false)
    expect(new EngineError('NOT_CONNECTED', 'x').transient).toBe(false)
    expect(isEngineError(new EngineError('TIMEOUT', 'x'), 'TIMEOUT')).toBe(true)
    expect(isEngineError(new Error('x'))).toBe(false)
  })
})

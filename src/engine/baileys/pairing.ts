import { EngineError } from '../errors.js'
import type { ConnectionEvent, Engine } from '../types.js'

/**
 * Resolves at the engine's next QR: WhatsApp accepts a pairing-code request only once it offered
 * pairing on the connection. Fails if the attempt ends or connects meanwhile.
 */
export function nextQr(engine: Pick<Engine, 'on' | 'off'>, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: EngineError) => {
      clearTimeout(timer)
      engine.off('qr', onQr)
      engine.off('connection', onConnection)
      if (error) reject(error)
      else resolve()
    }
    const onQr = () => done()
    const onConnection = ({ status }: ConnectionEvent) => {
      if (status === 'connected')
        done(new EngineError('ALREADY_CONNECTED', 'the instance connected meanwhile'))
      else if (status !== 'connecting') done(new EngineError('NOT_CONNECTED', 'the connection attempt ended'))
    }
    const timer = setTimeout(
      () => done(new EngineError('TIMEOUT', 'WhatsApp offered no pairing in time')),
      timeoutMs,
    )
    engine.on('qr', onQr)
    engine.on('connection', onConnection)
  })
}

import type { IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import type { Duplex } from 'node:stream'

// `ws` ships with Baileys but without type declarations here; these are the few members we use.
export interface WsSocket {
  readonly readyState: number
  send(data: Uint8Array, cb?: (err?: Error) => void): void
  close(code?: number, reason?: string): void
  terminate(): void
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[]) => void): this
  on(event: 'close', listener: (code: number) => void): this
  on(event: 'error', listener: (err: Error) => void): this
}

export interface WsServer {
  readonly clients: Set<WsSocket>
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (ws: WsSocket, req: IncomingMessage) => void,
  ): void
  close(callback?: (err?: Error) => void): void
}

interface WsModule {
  WebSocketServer: new (options: { noServer: true; perMessageDeflate: false }) => WsServer
}

const require = createRequire(import.meta.url)
const ws = require('ws') as WsModule

export const WS_OPEN = 1

export function createWsServer(): WsServer {
  return new ws.WebSocketServer({ noServer: true, perMessageDeflate: false })
}

export function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.isBuffer(data) ? data : Buffer.from(data)
}

import { decodeBinaryNode, encodeBinaryNode, proto } from 'baileys'
import type { KeyPair } from './certs.js'
import { type BinaryNode, node, nodeToString } from './nodes.js'
import { FrameReader, frame, NoiseResponder, type NoiseTransport } from './noise.js'
import { toBuffer, WS_OPEN, type WsSocket } from './ws.js'

export interface ConnectionEvents {
  /** The handshake finished; `payload` says whether the client registers (QR) or logs in. */
  onPayload(conn: ClientConnection, payload: proto.ClientPayload): void | Promise<void>
  onNode(conn: ClientConnection, stanza: BinaryNode): void | Promise<void>
  onClose(conn: ClientConnection): void
}

export type Logger = (line: string) => void

let nextConnectionId = 1

/** One client WebSocket: Noise handshake, then encrypted binary nodes both ways, in order. */
export class ClientConnection {
  readonly id = nextConnectionId++
  clientStatic?: Buffer
  payload?: proto.ClientPayload
  /** Device jid once logged in (`user:device@s.whatsapp.net`). */
  deviceJid?: string
  closed = false

  private readonly reader = new FrameReader()
  private readonly noise: NoiseResponder
  private transport?: NoiseTransport
  private queue: Promise<void> = Promise.resolve()
  private readonly pending = new Map<
    string,
    { resolve: (reply: BinaryNode) => void; reject: (err: Error) => void }
  >()
  private nextId = 1

  constructor(
    private readonly ws: WsSocket,
    staticKey: KeyPair,
    certChain: Uint8Array,
    private readonly events: ConnectionEvents,
    private readonly log?: Logger,
  ) {
    this.noise = new NoiseResponder(staticKey, certChain)
    ws.on('message', (data) => {
      for (const f of this.reader.push(toBuffer(data))) {
        // Node decoding is async; chaining keeps stanzas in arrival order.
        this.queue = this.queue.then(() => this.onFrame(f)).catch((err) => this.fail(err))
      }
    })
    ws.on('close', () => this.markClosed())
    ws.on('error', () => this.markClosed())
  }

  private async onFrame(data: Buffer): Promise<void> {
    if (this.closed) return
    if (this.transport) {
      const stanza = await decodeBinaryNode(this.transport.decrypt(data))
      this.log?.(`#${this.id} <- ${nodeToString(stanza)}`)
      const waiting = stanza.tag === 'iq' ? this.pending.get(stanza.attrs.id ?? '') : undefined
      if (waiting && (stanza.attrs.type === 'result' || stanza.attrs.type === 'error')) {
        this.pending.delete(stanza.attrs.id ?? '')
        waiting.resolve(stanza)
        return
      }
      await this.events.onNode(this, stanza)
      return
    }
    const message = proto.HandshakeMessage.decode(data)
    if (message.clientHello?.ephemeral) {
      const prologue = this.reader.prologue
      if (!prologue) throw new Error('missing intro header')
      const serverHello = this.noise.hello(prologue, message.clientHello.ephemeral)
      this.sendRaw(proto.HandshakeMessage.encode({ serverHello }).finish())
      return
    }
    const finish = message.clientFinish
    if (finish?.static && finish.payload) {
      const { clientStatic, payload, transport } = this.noise.finish(finish.static, finish.payload)
      this.transport = transport
      this.clientStatic = clientStatic
      this.payload = proto.ClientPayload.decode(payload)
      await this.events.onPayload(this, this.payload)
      return
    }
    throw new Error('unexpected handshake message')
  }

  private fail(err: unknown): void {
    this.log?.(`#${this.id} error: ${err instanceof Error ? err.stack : String(err)}`)
    this.terminate()
  }

  private sendRaw(data: Uint8Array): void {
    if (this.closed || this.ws.readyState !== WS_OPEN) return
    this.ws.send(frame(data))
  }

  send(stanza: BinaryNode): void {
    if (!this.transport) throw new Error('send before handshake')
    if (this.closed) return
    this.log?.(`#${this.id} -> ${nodeToString(stanza)}`)
    this.sendRaw(this.transport.encrypt(encodeBinaryNode(stanza)))
  }

  newId(): string {
    return `sim.${this.id}.${this.nextId++}`
  }

  /** Sends an iq from the server and resolves with the client's result or error. */
  query(iq: BinaryNode, timeoutMs = 15_000): Promise<BinaryNode> {
    const id = iq.attrs.id ?? this.newId()
    iq.attrs.id = id
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`client did not answer iq ${id} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer)
          resolve(reply)
        },
        reject: (err) => {
          clearTimeout(timer)
          reject(err)
        },
      })
      this.send(iq)
    })
  }

  /** Sends `<stream:error>` and closes, as the server does when it ends a session. */
  streamError(attrs: Record<string, string>, reason?: BinaryNode): void {
    this.send(node('stream:error', attrs, reason ? [reason] : undefined))
    this.close()
  }

  /** Closes the WebSocket with a close frame; queued stanzas are flushed first. */
  close(): void {
    if (this.closed) return
    this.ws.close(1000)
    this.markClosed()
  }

  /** Drops the TCP connection without any goodbye. */
  terminate(): void {
    this.ws.terminate()
    this.markClosed()
  }

  private markClosed(): void {
    if (this.closed) return
    this.closed = true
    for (const waiting of this.pending.values()) waiting.reject(new Error('connection closed'))
    this.pending.clear()
    this.events.onClose(this)
  }
}

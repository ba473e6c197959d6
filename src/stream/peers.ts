import type { ServerResponse } from 'node:http'
import type { WebSocket } from 'ws'

/** One connection of the live stream, whatever carries it. */
export interface StreamPeer {
  /** Sends one message: `event` is its name, `text` the JSON envelope. */
  send(event: string, text: string): void
  /** Ends the connection; `code` is the WebSocket close code. */
  close(code: number, reason: string): void
  isOpen(): boolean
  /** Bytes written but not yet taken by the network. */
  backlog(): number
  /** Asks the peer for a sign of life; answers false when the last request went unanswered. */
  probe(): boolean
  onClose(listener: () => void): void
}

/** A WebSocket: one JSON text frame per message; pings, whose pongs prove the peer is there. */
export function webSocketPeer(socket: WebSocket): StreamPeer {
  let answered = true
  socket.on('pong', () => {
    answered = true
  })
  // Messages from the client are not part of the protocol; its pings are answered by ws.
  socket.on('message', () => {})
  socket.on('error', () => {})
  return {
    send: (_event, text) => socket.send(text),
    close: (code, reason) => socket.close(code, reason),
    isOpen: () => socket.readyState === socket.OPEN,
    backlog: () => socket.bufferedAmount,
    probe() {
      if (!answered) {
        socket.terminate()
        return false
      }
      answered = false
      socket.ping()
      return true
    },
    onClose: (listener) => socket.on('close', listener),
  }
}

/**
 * Server-Sent Events, for clients that cannot open a WebSocket (an `EventSource` in a browser):
 * `id:` is the event id, `event:` its name, `data:` the same JSON envelope.
 */
export function eventSourcePeer(res: ServerResponse, headers: Record<string, unknown> = {}): StreamPeer {
  res.writeHead(200, {
    ...(headers as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  res.write(': zapini live events\n\n')
  return {
    send(event, text) {
      const id = /^\{"id":"([^"]+)"/.exec(text)?.[1]
      res.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${text}\n\n`)
    },
    close: () => res.end(),
    isOpen: () => !res.writableEnded && !res.destroyed,
    backlog: () => res.writableLength,
    // A dead TCP peer shows as a failed write; the heartbeat writes often enough.
    probe: () => !res.destroyed,
    onClose: (listener) => res.on('close', listener),
  }
}

import WebSocket from 'ws'

export interface Stream {
  socket: WebSocket
  messages: any[]
  pings: number
  /** The first message (already received or still to come) that passes `match`. */
  next(match: (message: any) => boolean, timeoutMs?: number): Promise<any>
  close(): void
}

/**
 * Opens the live stream like a client would. Resolves once the server said `stream.ready`;
 * rejects with `{status, body}` when the server refused the upgrade.
 */
export function openStream(
  baseUrl: string,
  options: { token?: string; query?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<Stream> {
  const url = `${baseUrl.replace(/^http/, 'ws')}${options.path ?? '/api/v1/events'}${options.query ?? ''}`
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers['authorization'] = `Bearer ${options.token}`
  const socket = new WebSocket(url, { headers })
  const messages: any[] = []
  const waiters = new Set<() => void>()
  const stream: Stream = {
    socket,
    messages,
    pings: 0,
    next(match, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = messages.find(match)
          if (hit === undefined) return false
          waiters.delete(check)
          clearTimeout(timer)
          resolve(hit)
          return true
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(messages)}`))
        }, timeoutMs)
        if (!check()) waiters.add(check)
      })
    },
    close: () => socket.close(),
  }
  socket.on('ping', () => {
    stream.pings++
  })
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)))
    for (const waiter of [...waiters]) waiter()
  })
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        reject({ status: res.statusCode, body: text ? JSON.parse(text) : null })
      })
    })
    socket.once('error', reject)
    stream.next((m) => m.event === 'stream.ready').then(() => resolve(stream), reject)
  })
}

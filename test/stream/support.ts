import http from 'node:http'
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

/** Opens the stream as Server-Sent Events; resolves once `stream.ready` arrived. */
export function openEventSource(
  baseUrl: string,
  options: { token?: string; query?: string } = {},
): Promise<{
  status: number
  headers: http.IncomingHttpHeaders
  events: SseEvent[]
  close(): void
  next(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>
}> {
  const url = new URL(`/api/v1/events${options.query ?? ''}`, baseUrl)
  // As a browser's EventSource on another site asks.
  const headers: Record<string, string> = { accept: 'text/event-stream', origin: 'https://app.example.com' }
  if (options.token) headers['authorization'] = `Bearer ${options.token}`
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const events: SseEvent[] = []
      const waiters = new Set<() => void>()
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end = buffer.indexOf('\n\n')
        while (end >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          end = buffer.indexOf('\n\n')
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((line) => !line.startsWith(':') && line.includes(': '))
              .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
          )
          if (fields['data'])
            events.push({ id: fields['id'], event: fields['event'], data: JSON.parse(fields['data']) })
          for (const waiter of [...waiters]) waiter()
        }
      })
      const stream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        close: () => req.destroy(),
        next(match: (e: SseEvent) => boolean, timeoutMs = 5000) {
          return new Promise<SseEvent>((done, fail) => {
            const check = () => {
              const hit = events.find(match)
              if (!hit) return false
              waiters.delete(check)
              clearTimeout(timer)
              done(hit)
              return true
            }
            const timer = setTimeout(() => {
              waiters.delete(check)
              fail(new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(events)}`))
            }, timeoutMs)
            if (!check()) waiters.add(check)
          })
        },
      }
      if (res.statusCode !== 200) {
        resolve(stream)
        return
      }
      stream.next((e) => e.event === 'stream.ready').then(() => resolve(stream), reject)
    })
    req.on('error', reject)
  })
}

export interface SseEvent {
  id: string | undefined
  event: string | undefined
  data: any
}

import { createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestApp } from '../helpers/app.js'
import { createInstanceToken } from '../helpers/builders.js'

export interface Received {
  headers: http.IncomingHttpHeaders
  raw: string
  body: any
  at: number
}

export interface Answer {
  status?: number
  body?: string
  headers?: Record<string, string>
  delayMs?: number
}

/**
 * A webhook receiver on loopback, as a user would run one: it records every request, answers
 * what the test says, and can go down and come back on the same port.
 */
export async function startReceiver(answer: (request: Received, index: number) => Answer = () => ({})) {
  const received: Received[] = []
  let respond = answer
  const waiters = new Set<() => void>()
  const sockets = new Set<import('node:net').Socket>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const request: Received = { headers: req.headers, raw, body: safeParse(raw), at: Date.now() }
      received.push(request)
      const reply = respond(request, received.length - 1)
      const send = () => {
        res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain', ...reply.headers })
        res.end(reply.body ?? 'OK')
        for (const wake of waiters) wake()
      }
      if (reply.delayMs) setTimeout(send, reply.delayMs)
      else send()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    /** Requests of one event type (the test event and others left out). */
    of(event: string): Received[] {
      return received.filter((r) => r.headers['x-webhook-event'] === event)
    },
    answer(next: (request: Received, index: number) => Answer): void {
      respond = next
    },
    /** Stops listening and drops kept-alive connections: the receiver is down. */
    async down(): Promise<void> {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
    async up(): Promise<void> {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    },
    async close(): Promise<void> {
      for (const socket of sockets) socket.destroy()
      if (server.listening) await new Promise((resolve) => server.close(resolve))
    },
  }
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>

function safeParse(raw: string): any {
  try {
    return JSON.parse(raw)
  } catch {
    return undefined
  }
}

/** The web docs' Node.js check, as written there: HMAC of `JSON.stringify(req.body)`. */
export function nodeDocsCheck(request: Received, secret: string): boolean {
  const signature = request.headers['x-webhook-signature'] as string
  const payload = JSON.stringify(request.body) // express.json() gives JSON.parse of the body
  const expected = createHmac('sha256', secret).update(payload).digest('hex')
  return (
    Buffer.from(signature).length === Buffer.from(expected).length &&
    timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
  )
}

/** The web docs' PHP check: `hash_equals(hash_hmac('sha256', $payload, $secret), $signature)` on the raw body. */
export function phpDocsCheck(request: Received, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(request.raw).digest('hex')
  return expected === request.headers['x-webhook-signature']
}

/** The Standard Webhooks check: `v1,` + base64 HMAC of `{webhook-id}.{webhook-timestamp}.{body}`. */
export function standardWebhooksCheck(request: Received, secret: string): boolean {
  const key = secret.startsWith('whsec_')
    ? Buffer.from(secret.slice(6), 'base64')
    : Buffer.from(secret, 'utf8')
  const id = request.headers['webhook-id']
  const timestamp = request.headers['webhook-timestamp']
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${request.raw}`).digest('base64')
  return String(request.headers['webhook-signature'])
    .split(' ')
    .some((part) => part === `v1,${expected}`)
}

/** A tenant with an instance (no engine running: the inbound worker endpoints drive it) and its sk_ token. */
export async function instanceWithToken(app: TestApp) {
  const owner = await app.register()
  const { instanceId, token } = await createInstanceToken(app.database.db, owner.user.tenant.id)
  const row = await app.database.db
    .selectFrom('instances')
    .select(['uuid'])
    .where('id', '=', instanceId)
    .executeTakeFirstOrThrow()
  return { owner, instance: { id: instanceId, uuid: row.uuid }, skToken: token }
}

let messages = 0

/** An incoming text message in the web docs' worker payload shape, with a fresh WhatsApp id. */
export function incomingPayload(overrides: Record<string, unknown> = {}) {
  const id = `3EB0${Date.now().toString(16).toUpperCase()}${(++messages).toString().padStart(4, '0')}`
  return {
    remoteJid: '5511999999999@s.whatsapp.net',
    message: {
      conversation: 'Hello, how are you?',
      extendedTextMessage: null,
      imageMessage: null,
      videoMessage: null,
      audioMessage: null,
      documentMessage: null,
    },
    messageTimestamp: 1705312200,
    pushName: 'John Doe',
    key: { remoteJid: '5511999999999@s.whatsapp.net', fromMe: false, id },
    participant: null,
    isGroup: false,
    ...overrides,
  }
}

/** Posts to an inbound worker endpoint with the instance's sk_ token. */
export function postInbound(
  app: TestApp,
  instanceUuid: string,
  kind: 'incoming' | 'status' | 'qr' | 'connection' | 'reaction',
  body: unknown,
  token: string,
) {
  return app.request('POST', `/api/v1/webhooks/instance/${instanceUuid}/${kind}`, { body, token })
}

import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'vitest'
import type { TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'

/** A connected sandbox instance with no pause between messages. */
export async function connectedSandbox(app: TestApp, token: string, phone = '15550001000') {
  const instance = (
    await app.request('POST', '/api/v1/instances', {
      token,
      body: { name: 'Bot', engine: 'sandbox', send_delay_min: 0, send_delay_max: 0 },
    })
  ).body.data as { id: number; uuid: string }
  await eventually(async () => {
    const res = await app.request('GET', `/api/v1/instances/${instance.uuid}/qr`, { token })
    expect(res.body.data.status).toBe('qr_ready')
  })
  await app.request('POST', `/api/v1/sandbox/instances/${instance.uuid}/scan`, {
    token,
    body: { phone_number: phone },
  })
  await eventually(async () => {
    const res = await app.request('GET', `/api/v1/instances/${instance.uuid}`, { token })
    expect(res.body.data.status).toBe('connected')
  })
  return instance
}

export async function inbound(
  app: TestApp,
  token: string,
  instance: { uuid: string },
  from: string,
  message: string,
) {
  const res = await app.request('POST', `/api/v1/sandbox/instances/${instance.uuid}/inbound`, {
    token,
    body: { from, message, push_name: 'Ana Souza' },
  })
  expect(res.status).toBe(201)
  return res.body.data.whatsapp_message_id as string
}

/** The outgoing messages of a conversation with a number, oldest first. */
export async function outgoingTo(app: TestApp, instanceId: number, phone: string) {
  return app.database.db
    .selectFrom('messages')
    .select(['body', 'source', 'status'])
    .where('instance_id', '=', instanceId)
    .where('direction', '=', 'outgoing')
    .where('recipient_number', '=', phone)
    .orderBy('id')
    .execute()
}

export interface LoopbackServer {
  url: string
  requests: { headers: http.IncomingHttpHeaders; body: string }[]
  respond: (
    body: string,
    headers: http.IncomingHttpHeaders,
  ) => { status: number; body: unknown; delayMs?: number }
  close(): Promise<void>
}

/** A real HTTP server on loopback whose answers a test decides. */
export async function loopbackServer(respond: LoopbackServer['respond']): Promise<LoopbackServer> {
  const state: LoopbackServer = {
    url: '',
    requests: [],
    respond,
    close: async () => {},
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      state.requests.push({ headers: req.headers, body })
      const answer = state.respond(body, req.headers)
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json' })
        res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body))
      }, answer.delayMs ?? 0)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return state
}

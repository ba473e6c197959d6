import { expect } from 'vitest'
import type { TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'

export type Owner = Awaited<ReturnType<TestApp['register']>>

export interface Instance {
  id: number
  uuid: string
  phone: string
}

/** A sandbox instance of the owner, scanned as `phone` and connected, sending without pauses. */
export async function connectedInstance(app: TestApp, token: string, phone: string): Promise<Instance> {
  const created = await app.request('POST', '/api/v1/instances', {
    token,
    body: { name: `Sandbox ${phone}`, engine: 'sandbox', send_delay_min: 0, send_delay_max: 0 },
  })
  expect(created.status).toBe(201)
  const { id, uuid } = created.body.data
  await eventually(async () => {
    const res = await app.request('GET', `/api/v1/instances/${uuid}/qr`, { token })
    expect(res.body.data.status).toBe('qr_ready')
  })
  const scanned = await app.request('POST', `/api/v1/sandbox/instances/${uuid}/scan`, {
    token,
    body: { phone_number: phone },
  })
  expect(scanned.status).toBe(200)
  await eventually(async () => {
    const res = await app.request('GET', `/api/v1/instances/${uuid}`, { token })
    expect(res.body.data.status).toBe('connected')
  })
  return { id, uuid, phone }
}

/** An sk_ token bound to the instance, made through the API. */
export async function instanceToken(
  app: TestApp,
  token: string,
  instance: { uuid: string },
): Promise<string> {
  const res = await app.request('POST', `/api/v1/instances/${instance.uuid}/tokens`, {
    token,
    body: { name: 'Integration' },
  })
  expect(res.status).toBe(201)
  return res.body.data.token
}

/** A message from `from` reaches the instance; answers its WhatsApp id once it is stored. */
export async function inbound(
  app: TestApp,
  token: string,
  instance: { uuid: string },
  body: { from: string; message?: string; push_name?: string; group_jid?: string; mentions?: string[] },
): Promise<string> {
  const res = await app.request('POST', `/api/v1/sandbox/instances/${instance.uuid}/inbound`, { token, body })
  expect(res.status).toBe(201)
  const waId: string = res.body.data.whatsapp_message_id
  await eventually(async () => {
    const list = await app.request('GET', '/api/v1/messages?direction=incoming&per_page=100', { token })
    expect(list.body.data.some((m: { whatsapp_message_id: string }) => m.whatsapp_message_id === waId)).toBe(
      true,
    )
  })
  return waId
}

/** The conversation of a number (digits), as the standard list shows it. */
export async function conversationOf(app: TestApp, token: string, digits: string, archived = false) {
  const res = await app.request('GET', `/api/v1/conversations${archived ? '/archived' : ''}?per_page=100`, {
    token,
  })
  expect(res.status).toBe(200)
  const found = res.body.data.find((c: { contact_number: string }) => c.contact_number === digits)
  expect(found, `a conversation with ${digits}`).toBeDefined()
  return found
}

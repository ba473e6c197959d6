import { expect } from 'vitest'
import type { TestApp } from '../helpers/app.js'
import type { HttpResponse } from '../helpers/http.js'
import { eventually } from '../helpers/wait.js'

export type Owner = Awaited<ReturnType<TestApp['register']>>

/** `call('POST', '/kanban/boards', body)` as one caller (a user or an sk_ token). */
export type Api = (method: string, path: string, body?: unknown) => Promise<HttpResponse>

export function apiFor(app: TestApp, token: string): Api {
  return (method, path, body) =>
    app.request(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) })
}

/** Asserts the status, showing the body when it differs; answers `data`. */
export function expectStatus(res: HttpResponse, status: number) {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text}`)
  return res.body?.data
}

/** An instance of the caller's tenant, not connected (enough for contacts and tokens). */
export async function newInstance(api: Api, name = 'CRM instance'): Promise<{ id: number; uuid: string }> {
  const data = expectStatus(await api('POST', '/instances', { name, engine: 'sandbox' }), 201)
  return { id: data.id, uuid: data.uuid }
}

/** A sandbox instance scanned as `phone` and connected, sending without pauses. */
export async function connectedInstance(
  api: Api,
  phone: string,
): Promise<{ id: number; uuid: string; phone: string }> {
  const data = expectStatus(
    await api('POST', '/instances', {
      name: `Sandbox ${phone}`,
      engine: 'sandbox',
      send_delay_min: 0,
      send_delay_max: 0,
    }),
    201,
  )
  const { id, uuid } = data
  await eventually(async () => {
    expect((await api('GET', `/instances/${uuid}/qr`)).body.data.status).toBe('qr_ready')
  })
  expectStatus(await api('POST', `/sandbox/instances/${uuid}/scan`, { phone_number: phone }), 200)
  await eventually(async () => {
    expect((await api('GET', `/instances/${uuid}`)).body.data.status).toBe('connected')
  })
  return { id, uuid, phone }
}

/** An sk_ token bound to the instance, made through the API. */
export async function instanceToken(api: Api, instance: { uuid: string }): Promise<string> {
  return expectStatus(
    await api('POST', `/instances/${instance.uuid}/tokens`, { name: 'CRM integration' }),
    201,
  ).token
}

export async function newContact(
  api: Api,
  instance: { uuid: string },
  phone: string,
  name: string,
): Promise<{ id: number; uuid: string }> {
  const data = expectStatus(
    await api('POST', '/contacts', { instance_id: instance.uuid, phone_number: phone, name }),
    201,
  )
  return { id: data.id, uuid: data.uuid }
}

/** A message from `from` arrives on the sandbox instance and is stored. */
export async function inbound(api: Api, instance: { uuid: string }, from: string, message: string) {
  const sent = expectStatus(
    await api('POST', `/sandbox/instances/${instance.uuid}/inbound`, { from, message }),
    201,
  )
  await eventually(async () => {
    const list = await api('GET', '/messages?direction=incoming&per_page=100')
    expect(list.body.data.some((m: any) => m.whatsapp_message_id === sent.whatsapp_message_id)).toBe(true)
  })
}

/** Each column's leads have positions 0..n-1, without duplicates, in the order listed. */
export async function expectDensePositions(api: Api, boardUuid: string) {
  const leads: any[] = []
  for (let page = 1; ; page++) {
    const res = await api('GET', `/kanban/boards/${boardUuid}/leads?per_page=100&page=${page}`)
    leads.push(...expectStatus(res, 200))
    if (page >= res.body.meta.pagination.last_page) break
  }
  const byColumn = new Map<string, number[]>()
  for (const lead of leads)
    byColumn.set(lead.column_uuid, [...(byColumn.get(lead.column_uuid) ?? []), lead.position])
  for (const positions of byColumn.values()) {
    expect(positions).toEqual(positions.map((_, i) => i))
  }
  return leads
}

import { expect } from 'vitest'
import type { EngineEvents } from '../../src/engine/events.js'
import { SandboxEngine, type SandboxNetwork } from '../../src/engine/sandbox/index.js'
import type { TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'

export interface TestInstance {
  id: number
  uuid: string
  phone: string
  /** `instance-{id}.localhost`: the instance gateway of the test app (PUBLIC_URL http://localhost). */
  host: string
}

/** A sandbox instance made through the API; connected (QR scanned as `phone`) unless `connect` is false. */
export async function sandboxInstance(
  app: TestApp,
  token: string,
  options: { phone?: string; name?: string; connect?: boolean; settings?: Record<string, unknown> } = {},
): Promise<TestInstance> {
  const created = await app.request('POST', '/api/v1/instances', {
    token,
    body: {
      name: options.name ?? 'Direct',
      engine: 'sandbox',
      ...(options.settings ? { settings: options.settings } : {}),
    },
  })
  expect(created.status).toBe(201)
  const { id, uuid } = created.body.data as { id: number; uuid: string }
  const instance = { id, uuid, phone: '', host: `instance-${id}.localhost` }
  await eventually(async () => {
    const res = await app.request('GET', `/api/v1/instances/${uuid}/qr`, { token })
    expect(res.body.data.status).toBe('qr_ready')
  })
  if (options.connect === false) return instance

  const scan = await app.request('POST', `/api/v1/sandbox/instances/${uuid}/scan`, {
    token,
    body: options.phone ? { phone_number: options.phone } : {},
  })
  expect(scan.status).toBe(200)
  instance.phone = scan.body.data.phone_number
  await eventually(async () => {
    const res = await app.request('GET', `/api/v1/instances/${uuid}/status`, { token })
    expect(res.body.data.status).toBe('connected')
  })
  return instance
}

/** An sk_ token bound to the instance, made through the API. */
export async function instanceToken(app: TestApp, userToken: string, uuid: string): Promise<string> {
  const res = await app.request('POST', `/api/v1/instances/${uuid}/tokens`, {
    token: userToken,
    body: { name: 'direct tests' },
  })
  expect(res.status).toBe(201)
  return res.body.data.token
}

/**
 * Another phone on the same simulated network: what our instances send reaches it as it would
 * reach a real contact, so tests read what arrived on WhatsApp's side.
 */
export async function sandboxPhone(network: SandboxNetwork, phone: string) {
  const engine = new SandboxEngine({ network, name: `Phone ${phone.slice(-4)}` })
  const seen = {
    message: [] as EngineEvents['message'][],
    reaction: [] as EngineEvents['reaction'][],
    revoke: [] as EngineEvents['revoke'][],
    group: [] as EngineEvents['group'][],
  }
  engine.on('message', (event) => void seen.message.push(event))
  engine.on('reaction', (event) => void seen.reaction.push(event))
  engine.on('revoke', (event) => void seen.revoke.push(event))
  engine.on('group', (event) => void seen.group.push(event))
  await engine.connect()
  await engine.scan(phone)
  return {
    engine,
    phone,
    jid: `${phone}@s.whatsapp.net`,
    seen,
    /** The message with this WhatsApp id, once it has arrived. */
    received: (id: string) =>
      eventually(() => {
        const found = seen.message.find((message) => message.id === id)
        expect(found, `message ${id} reached ${phone}`).toBeDefined()
        return found!
      }),
    close: () => engine.disconnect(),
  }
}

export type SandboxPhone = Awaited<ReturnType<typeof sandboxPhone>>

/** The keys of an object, sorted, for exact-shape assertions. */
export function keysOf(value: object): string[] {
  return Object.keys(value).sort()
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import { connectedSandbox, inbound, outgoingTo } from './support.js'

describe('automation flows', () => {
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let instance: { id: number; uuid: string }

  beforeAll(async () => {
    app = await startTestApp({ env: { AUTOMATION_MAX_REPLIES_PER_MINUTE: '5' } })
    owner = await app.register()
    instance = await connectedSandbox(app, owner.token)
  })
  afterAll(() => app.close())

  const createFlow = (body: Record<string, unknown>) =>
    app.request('POST', '/api/v1/automation/flows', {
      token: owner.token,
      body: { instance_id: instance.uuid, ...body },
    })

  it('answers a keyword case- and accent-insensitively with variables, and not other messages', async () => {
    const flow = await createFlow({
      name: 'Prices',
      trigger: { type: 'keyword', keywords: ['preço'], match: 'contains' },
      steps: [{ type: 'send_text', text: 'Olá {{contact.name}}, a tabela de preços segue.' }],
      priority: 10,
    })
    expect(flow.status).toBe(201)
    expect(flow.body.data).toMatchObject({
      name: 'Prices',
      is_active: true,
      priority: 10,
      id: flow.body.data.uuid,
    })

    await inbound(app, owner.token, instance, '15551110001', 'Qual o PRECO do plano?')
    await eventually(async () => {
      const sent = await outgoingTo(app, instance.id, '15551110001')
      expect(sent.map((m) => m.body)).toEqual(['Olá Ana Souza, a tabela de preços segue.'])
      expect(sent[0]!.source).toBe('automation')
    })
    await inbound(app, owner.token, instance, '15551110001', 'obrigado')
    await new Promise((r) => setTimeout(r, 400))
    expect(await outgoingTo(app, instance.id, '15551110001')).toHaveLength(1)
  })

  it('waits for the reply and branches on it; hands over to a human', async () => {
    await createFlow({
      name: 'Menu',
      trigger: { type: 'regex', pattern: '^menu$', flags: 'i' },
      steps: [
        { type: 'send_text', text: 'Digite 1 para vendas ou 2 para suporte' },
        {
          type: 'wait_reply',
          branches: [
            { match: 'equals', value: '1', goto: 2 },
            { match: 'equals', value: '2', goto: 3 },
          ],
        },
        { type: 'send_text', text: 'Vendas: fale com a Bia' },
        { type: 'handover', reason: 'Suporte humano' },
      ],
      priority: 5,
    })
    const contact = '15551110002'
    await inbound(app, owner.token, instance, contact, 'MENU')
    await eventually(async () => expect(await outgoingTo(app, instance.id, contact)).toHaveLength(1))
    await inbound(app, owner.token, instance, contact, '2')
    const conversation = await eventually(async () => {
      const row = await app.database.db
        .selectFrom('conversations')
        .select(['uuid', 'automation_paused', 'paused_by', 'pause_reason'])
        .where('chat_jid', '=', `${contact}@s.whatsapp.net`)
        .executeTakeFirstOrThrow()
      expect(Boolean(row.automation_paused)).toBe(true)
      return row
    })
    expect(conversation).toMatchObject({ paused_by: 'automation', pause_reason: 'Suporte humano' })
    const state = await app.request('GET', `/api/v1/conversations/${conversation.uuid}/automation`, {
      token: owner.token,
    })
    expect(state.body.data).toMatchObject({ automation_status: 'paused', can_send_manual_message: true })
    // Paused: the automation stays quiet.
    await inbound(app, owner.token, instance, contact, 'menu')
    await new Promise((r) => setTimeout(r, 400))
    expect(await outgoingTo(app, instance.id, contact)).toHaveLength(1)
  })

  it('caps automated replies per conversation per minute', async () => {
    await createFlow({
      name: 'Echo',
      trigger: { type: 'keyword', keywords: ['eco'] },
      steps: [{ type: 'send_text', text: 'eco!' }],
      priority: 1,
    })
    const contact = '15551110003'
    for (let i = 0; i < 8; i++) await inbound(app, owner.token, instance, contact, `eco ${i}`)
    await eventually(async () => expect(await outgoingTo(app, instance.id, contact)).toHaveLength(5))
    await new Promise((r) => setTimeout(r, 500))
    expect(await outgoingTo(app, instance.id, contact)).toHaveLength(5)
  })

  it('validates definitions and keeps tenants apart', async () => {
    const bad = await createFlow({
      name: 'Broken',
      trigger: { type: 'regex', pattern: '(' },
      steps: [{ type: 'send_text', text: 'x' }],
    })
    expect(bad.status).toBe(422)
    const badGoto = await createFlow({
      name: 'Broken',
      trigger: { type: 'any' },
      steps: [{ type: 'wait_reply', branches: [{ match: 'equals', value: 'a', goto: 9 }] }],
    })
    expect(badGoto.status).toBe(422)
    const stranger = await app.register()
    const list = await app.request('GET', '/api/v1/automation/flows', { token: stranger.token })
    expect(list.body.data).toEqual([])
    const mine = (await app.request('GET', '/api/v1/automation/flows', { token: owner.token })).body.data
    const foreign = await app.request('GET', `/api/v1/automation/flows/${mine[0].uuid}`, {
      token: stranger.token,
    })
    expect(foreign.status).toBe(404)
    const update = await app.request('PUT', `/api/v1/automation/flows/${mine[0].uuid}`, {
      token: owner.token,
      body: { is_active: false },
    })
    expect(update.body.data.is_active).toBe(false)
    expect(
      (await app.request('DELETE', `/api/v1/automation/flows/${mine[0].uuid}`, { token: owner.token }))
        .status,
    ).toBe(200)
    expect(
      (await app.request('GET', `/api/v1/automation/flows/${mine[0].uuid}`, { token: owner.token })).status,
    ).toBe(404)
  })
})

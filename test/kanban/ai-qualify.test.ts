import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeProvider, startFakeProvider } from '../ai/fake-provider.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import { type Api, apiFor, connectedInstance, expectStatus, inbound, instanceToken } from './support.js'

const KEY = 'sk-qualify-0123456789abcdef'

describe('AI lead qualification through the tenant’s provider', () => {
  let app: TestApp
  let api: Api
  let provider: FakeProvider
  let lead: any

  beforeAll(async () => {
    provider = await startFakeProvider({ apiKey: KEY })
    app = await startTestApp()
    api = apiFor(app, (await app.register()).token)
    const instance = await connectedInstance(api, '5511900002222')
    await inbound(api, instance, '5511933334444', 'Hi! What is the price of the premium plan?')
    await inbound(api, instance, '5511933334444', 'I want to buy it this week')
    expectStatus(
      await api('POST', '/messages/send', {
        instance_id: instance.uuid,
        recipient: '5511933334444',
        message: 'It is 99 per month',
      }),
      201,
    )
    await eventually(async () => {
      const sent = await api('GET', '/messages?direction=outgoing')
      expect(sent.body.data[0].status).toMatch(/sent|delivered/)
    })
    expectStatus(await api('POST', '/kanban/boards', { name: 'Sales' }), 201)
    const [contact] = expectStatus(await api('GET', '/contacts?search=5511933334444'), 200)
    lead = expectStatus(
      await api('POST', '/kanban/leads', { contact_id: contact.uuid, title: 'Premium plan' }),
      201,
    )
    expect(lead.conversation_id).not.toBeNull()
  })
  afterAll(async () => {
    await app.close()
    await provider.close()
  })

  const qualify = (uuid: string, body?: unknown) => api('POST', `/kanban/leads/${uuid}/ai-qualify`, body)
  const configure = (body: object = {}) =>
    api('PUT', '/settings/ai', {
      base_url: provider.baseUrl,
      api_key: KEY,
      model: 'qualifier-1',
      // Every answered call of this file must beat it, on a loaded machine too.
      timeout_seconds: 3,
      ...body,
    })

  it('answers 400 AI_NOT_CONFIGURED without a provider', async () => {
    const res = await qualify(lead.uuid)
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('AI_NOT_CONFIGURED')
    expect(provider.requests).toHaveLength(0)
  })

  it('scores the lead from its conversation and stores the result with an activity', async () => {
    expectStatus(await configure(), 200)
    const res = await qualify(lead.uuid)
    const data = expectStatus(res, 200)
    expect(data.qualification).toMatchObject({
      score: 85,
      temperature: 'hot',
      summary: 'Read 3 messages.',
      next_action: 'Send the quote today',
      model: 'qualifier-1-2026-01-01',
    })
    expect(data.messages_used).toBe(3)
    expect(data.lead.ai_qualification).toEqual(data.qualification)

    const request = provider.requests.at(-1)!
    expect(request.authorization).toBe(`Bearer ${KEY}`)
    expect(request.body.model).toBe('qualifier-1')
    expect(request.body.response_format).toEqual({ type: 'json_object' })
    const prompt = request.body.messages.map((m) => m.content).join('\n')
    expect(prompt).toContain('Lead: Premium plan')
    expect(prompt).toContain('Customer')
    expect(prompt).toContain('What is the price of the premium plan?')
    expect(prompt).toContain('Business: It is 99 per month')
    expect(prompt.indexOf('price of the premium')).toBeLessThan(prompt.indexOf('buy it this week'))

    const stored = expectStatus(await api('GET', `/kanban/leads/${lead.uuid}`), 200)
    expect(stored.ai_qualification).toMatchObject({ score: 85, temperature: 'hot' })
    const [activity] = expectStatus(await api('GET', `/kanban/leads/${lead.uuid}/activities`), 200)
    expect(activity).toMatchObject({
      type: 'ai_qualified',
      description: 'AI qualification: 85/100, hot',
      data: { score: 85, temperature: 'hot', messages_used: 3 },
    })
  })

  it('reads only the latest messages when told how many', async () => {
    const data = expectStatus(await qualify(lead.uuid, { messages_limit: 1 }), 200)
    expect(data.messages_used).toBe(1)
    expect(data.qualification).toMatchObject({ summary: 'Read 1 messages.', temperature: 'warm', score: 55 })
    expect((await qualify(lead.uuid, { messages_limit: 0 })).status).toBe(422)
  })

  it('scores a lead without a conversation from its details alone', async () => {
    const bare = expectStatus(await api('POST', '/kanban/leads', { title: 'Walk-in' }), 201)
    const data = expectStatus(await qualify(bare.uuid), 200)
    expect(data).toMatchObject({ messages_used: 0, qualification: { temperature: 'cold', score: 20 } })
    expect(provider.requests.at(-1)!.body.messages[1]!.content).toContain('no conversation')
  })

  it('takes a JSON answer wrapped in a Markdown fence', async () => {
    provider.mode = 'fenced'
    try {
      expect(expectStatus(await qualify(lead.uuid), 200).qualification.temperature).toBe('hot')
    } finally {
      provider.mode = 'ok'
    }
  })

  describe('when the provider fails, answers 502 AI_PROVIDER_ERROR and changes nothing', () => {
    for (const [mode, reason] of [
      ['http_error', 'http'],
      ['timeout', 'timeout'],
      ['invalid_json', 'invalid_response'],
      ['schema_mismatch', 'invalid_response'],
      ['html_body', 'invalid_response'],
    ] as const) {
      it(mode, async () => {
        expectStatus(await qualify(lead.uuid, { messages_limit: 1 }), 200)
        const before = expectStatus(await api('GET', `/kanban/leads/${lead.uuid}`), 200)
        const activities = (await api('GET', `/kanban/leads/${lead.uuid}/activities`)).body.meta.pagination
          .total
        provider.mode = mode
        try {
          const started = Date.now()
          const res = await qualify(lead.uuid)
          expect(res.status).toBe(502)
          expect(res.body.error).toMatchObject({ code: 'AI_PROVIDER_ERROR', details: { reason } })
          expect(res.text).not.toContain(KEY)
          if (mode === 'timeout') expect(Date.now() - started).toBeLessThan(10_000)
          if (mode === 'http_error') expect(res.body.error.details.provider_status).toBe(503)
        } finally {
          provider.mode = 'ok'
        }
        expect(expectStatus(await api('GET', `/kanban/leads/${lead.uuid}`), 200)).toEqual(before)
        const after = await api('GET', `/kanban/leads/${lead.uuid}/activities`)
        expect(after.body.meta.pagination.total).toBe(activities)
      })
    }

    it('a key the provider refuses', async () => {
      expectStatus(await configure({ api_key: 'sk-not-the-right-one-000' }), 200)
      const res = await qualify(lead.uuid)
      expect(res.status).toBe(502)
      expect(res.body.error.details).toMatchObject({ reason: 'http', provider_status: 401 })
      expect(res.body.error.message).toContain('Incorrect API key')
      expectStatus(await configure(), 200)
    })
  })

  it('is open to the tenant’s sk_ tokens and closed to other tenants', async () => {
    const instance = expectStatus(
      await api('POST', '/instances', { name: 'Other number', engine: 'sandbox' }),
      201,
    )
    const sk = apiFor(app, await instanceToken(api, instance))
    expect(
      expectStatus(await sk('POST', `/kanban/leads/${lead.uuid}/ai-qualify`, { messages_limit: 2 }), 200)
        .messages_used,
    ).toBe(
      // The conversation is another instance's: an sk_ token of this one does not read it.
      0,
    )
    const stranger = apiFor(app, (await app.register()).token)
    expect((await stranger('POST', `/kanban/leads/${lead.uuid}/ai-qualify`)).status).toBe(404)
  })
})

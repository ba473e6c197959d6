import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import { connectedSandbox, inbound, type LoopbackServer, loopbackServer, outgoingTo } from './support.js'

describe('automation integrations', () => {
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let bot: LoopbackServer
  let ai: LoopbackServer

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
    bot = await loopbackServer((body) => {
      const context = JSON.parse(body)
      if (context.message.text === 'slow') return { status: 200, body: { reply: 'too late' }, delayMs: 8000 }
      if (context.message.text === 'broken') return { status: 500, body: { error: 'down' } }
      if (context.message.text === 'human')
        return {
          status: 200,
          body: { reply: 'Transferring you', handover: true, reason: 'asked for a human' },
        }
      return {
        status: 200,
        body: { replies: [`You said: ${context.message.text}`, { text: 'Anything else?' }] },
      }
    })
    // A small server speaking the chat-completions protocol: it answers with what it was given.
    ai = await loopbackServer((body, headers) => {
      const request = JSON.parse(body)
      if (headers.authorization !== 'Bearer sk-test-key-123456')
        return { status: 401, body: { error: 'bad key' } }
      const last = request.messages.at(-1)?.content
      return {
        status: 200,
        body: {
          id: 'chatcmpl-1',
          object: 'chat.completion',
          model: request.model,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: `[${request.model}] ${request.messages[0].content.slice(0, 9)} / ${last}`,
              },
              finish_reason: 'stop',
            },
          ],
        },
      }
    })
  })
  afterAll(async () => {
    await app.close()
    await bot.close()
    await ai.close()
  })

  it('posts the signed conversation to an HTTP bot and sends back the texts of its answer', async () => {
    const instance = await connectedSandbox(app, owner.token, '15550002001')
    const created = await app.request('POST', '/api/v1/automation/integrations', {
      token: owner.token,
      body: {
        instance_id: instance.uuid,
        type: 'http_bot',
        config: { url: bot.url, secret: 'bot-secret-abc', timeout_ms: 5000 },
      },
    })
    expect(created.status).toBe(201)
    expect(created.body.data.config.secret).not.toContain('bot-secret-abc')
    const stored = await app.database.db
      .selectFrom('automation_integrations')
      .select('config')
      .executeTakeFirstOrThrow()
    expect(JSON.stringify(stored.config)).not.toContain('bot-secret-abc')

    await inbound(app, owner.token, instance, '15552220001', 'hello bot')
    await eventually(async () => {
      const sent = await outgoingTo(app, instance.id, '15552220001')
      expect(sent.map((m) => m.body)).toEqual(['You said: hello bot', 'Anything else?'])
    })
    const call = bot.requests.at(-1)!
    expect(call.headers['x-zapini-signature']).toBe(
      createHmac('sha256', 'bot-secret-abc').update(call.body).digest('hex'),
    )
    const context = JSON.parse(call.body)
    expect(context).toMatchObject({
      event: 'message.received',
      contact: { phone_number: '15552220001', name: 'Ana Souza' },
    })
    expect(context.history.at(-1)).toMatchObject({ direction: 'incoming', text: 'hello bot' })

    // A timeout or an error is logged; the inbound message is stored all the same.
    await inbound(app, owner.token, instance, '15552220002', 'slow')
    await inbound(app, owner.token, instance, '15552220003', 'broken')
    await eventually(async () => {
      const logs = await app.database.db
        .selectFrom('automation_logs')
        .select(['outcome', 'detail'])
        .where('outcome', '=', 'failed')
        .execute()
      expect(logs).toHaveLength(2)
      expect(logs.map((l) => l.detail).join(' ')).toMatch(/timed out/)
      expect(logs.map((l) => l.detail).join(' ')).toMatch(/HTTP 500/)
    }, 15_000)
    const stored2 = await app.database.db
      .selectFrom('messages')
      .select('body')
      .where('direction', '=', 'incoming')
      .execute()
    expect(stored2.map((m) => m.body)).toEqual(expect.arrayContaining(['slow', 'broken']))

    await inbound(app, owner.token, instance, '15552220004', 'human')
    await eventually(async () => {
      const row = await app.database.db
        .selectFrom('conversations')
        .select(['automation_paused', 'pause_reason'])
        .where('chat_jid', '=', '15552220004@s.whatsapp.net')
        .executeTakeFirstOrThrow()
      expect(Boolean(row.automation_paused)).toBe(true)
      expect(row.pause_reason).toBe('asked for a human')
    })
  })

  it('asks an OpenAI-compatible agent with the system prompt and the history', async () => {
    const instance = await connectedSandbox(app, owner.token, '15550002002')
    const created = await app.request('POST', '/api/v1/automation/integrations', {
      token: owner.token,
      body: {
        instance_id: instance.uuid,
        type: 'openai',
        config: {
          base_url: ai.url,
          api_key: 'sk-test-key-123456',
          model: 'tiny-model',
          system_prompt: 'You sell plans.',
          history_window: 5,
        },
      },
    })
    expect(created.body.data.config.api_key).toBe('sk-…3456')
    await inbound(app, owner.token, instance, '15552220010', 'which plan?')
    await eventually(async () => {
      const sent = await outgoingTo(app, instance.id, '15552220010')
      expect(sent.map((m) => m.body)).toEqual(['[tiny-model] You sell  / which plan?'])
    })
    const request = JSON.parse(ai.requests.at(-1)!.body)
    expect(request.messages[0]).toEqual({ role: 'system', content: 'You sell plans.' })
    expect(request.messages.at(-1)).toEqual({ role: 'user', content: 'which plan?' })

    // A key change keeps working; a wrong key is a logged failure, never a lost message.
    const updated = await app.request('PUT', `/api/v1/automation/integrations/${created.body.data.uuid}`, {
      token: owner.token,
      body: { config: { base_url: ai.url, api_key: 'sk-wrong-key-000000', model: 'tiny-model' } },
    })
    expect(updated.status).toBe(200)
    await inbound(app, owner.token, instance, '15552220011', 'hello?')
    await eventually(async () => {
      const failed = await app.database.db
        .selectFrom('automation_logs')
        .select('detail')
        .where('detail', 'like', '%HTTP 401%')
        .execute()
      expect(failed).toHaveLength(1)
    })
  })
})

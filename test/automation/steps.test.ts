import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import { connectedSandbox, inbound, type LoopbackServer, loopbackServer } from './support.js'

describe('flow steps that reach other modules, and the tenant AI provider', () => {
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let instance: { id: number; uuid: string }
  let ai: LoopbackServer

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
    instance = await connectedSandbox(app, owner.token, '15550004001')
    ai = await loopbackServer((body) => ({
      status: 200,
      body: {
        choices: [{ index: 0, message: { role: 'assistant', content: `model=${JSON.parse(body).model}` } }],
      },
    }))
  })
  afterAll(async () => {
    await app.close()
    await ai.close()
  })

  it('tags the conversation and creates a kanban lead', async () => {
    const tag = (
      await app.request('POST', '/api/v1/tags', {
        token: owner.token,
        body: { name: 'Lead', color: '#22c55e' },
      })
    ).body.data.tag
    const board = (
      await app.request('POST', '/api/v1/kanban/boards', {
        token: owner.token,
        body: { name: 'Sales', columns: ['New', 'Won'] },
      })
    ).body.data
    const flow = await app.request('POST', '/api/v1/automation/flows', {
      token: owner.token,
      body: {
        instance_id: instance.uuid,
        name: 'Qualify',
        trigger: { type: 'keyword', keywords: ['quote'] },
        steps: [
          { type: 'add_tag', tag: 'lead' },
          { type: 'create_lead', board_id: board.id, title: 'Quote for {{contact.name}}' },
          { type: 'send_text', text: 'We will send a quote soon.' },
        ],
      },
    })
    expect(flow.status).toBe(201)
    await inbound(app, owner.token, instance, '15554440001', 'I want a quote')
    const conversation = await eventually(async () => {
      const row = await app.database.db
        .selectFrom('conversations')
        .select(['id', 'uuid'])
        .where('chat_jid', '=', '15554440001@s.whatsapp.net')
        .executeTakeFirstOrThrow()
      const tags = await app.database.db
        .selectFrom('conversation_tags')
        .select('tag_id')
        .where('conversation_id', '=', row.id)
        .execute()
      expect(tags).toHaveLength(1)
      return row
    })
    const tagged = await app.request('GET', `/api/v1/conversations?tag_id=${tag.id}`, { token: owner.token })
    expect(tagged.body.data.map((c: any) => c.id)).toEqual([conversation.uuid])
    const leads = await eventually(async () => {
      const res = await app.request('GET', `/api/v1/kanban/boards/${board.id}/leads`, { token: owner.token })
      expect(res.body.data.length).toBe(1)
      return res.body.data
    })
    expect(leads[0].title).toBe('Quote for Ana Souza')
  })

  it('lets an openai integration without its own provider use the tenant AI settings', async () => {
    const other = await connectedSandbox(app, owner.token, '15550004002')
    await app.request('POST', '/api/v1/automation/integrations', {
      token: owner.token,
      body: { instance_id: other.uuid, type: 'openai', config: { system_prompt: 'Be brief.' } },
    })
    await inbound(app, owner.token, other, '15554440002', 'first, with no provider')
    await eventually(async () => {
      const logs = await app.database.db
        .selectFrom('automation_logs')
        .select('detail')
        .where('outcome', '=', 'failed')
        .execute()
      expect(logs.map((l) => l.detail).join(' ')).toMatch(/AI provider/i)
    })
    const put = await app.request('PUT', '/api/v1/settings/ai', {
      token: owner.token,
      body: { base_url: ai.url, api_key: 'sk-tenant-key-987654', model: 'tenant-model' },
    })
    expect(put.status).toBe(200)
    await inbound(app, owner.token, other, '15554440003', 'now with the provider')
    await eventually(async () => {
      const sent = await app.database.db
        .selectFrom('messages')
        .select('body')
        .where('instance_id', '=', other.id)
        .where('direction', '=', 'outgoing')
        .execute()
      expect(sent.map((m) => m.body)).toEqual(['model=tenant-model'])
    })
    expect(ai.requests.at(-1)!.headers.authorization).toBe('Bearer sk-tenant-key-987654')
  })
})

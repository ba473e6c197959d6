import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AiProviderError, completionsUrl, createChatClient, parseJsonReply } from '../../src/ai/client.js'
import { type FakeProvider, startFakeProvider } from './fake-provider.js'

const KEY = 'sk-test-0123456789abcdef'

describe('OpenAI-compatible chat client', () => {
  let provider: FakeProvider
  beforeAll(async () => {
    provider = await startFakeProvider({ apiKey: KEY })
  })
  afterAll(() => provider.close())
  afterEach(() => {
    provider.mode = 'ok'
  })

  const client = (overrides: Partial<{ apiKey: string; baseUrl: string }> = {}) =>
    createChatClient({ baseUrl: provider.baseUrl, apiKey: KEY, model: 'gpt-test', ...overrides })

  async function failure(promise: Promise<unknown>): Promise<AiProviderError> {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(AiProviderError)
    return error as AiProviderError
  }

  it('posts the model and messages to {base_url}/chat/completions with the key as a bearer token', async () => {
    const completion = await client().complete({
      messages: [
        { role: 'system', content: 'Answer in JSON' },
        { role: 'user', content: '[2026-01-15 10:00 UTC] Customer: what is the price?' },
      ],
      json: true,
    })
    const request = provider.requests.at(-1)!
    expect(request.path).toBe('/v1/chat/completions')
    expect(request.authorization).toBe(`Bearer ${KEY}`)
    expect(request.body.model).toBe('gpt-test')
    expect(request.body.response_format).toEqual({ type: 'json_object' })
    expect(request.body.messages).toHaveLength(2)
    expect(completion.model).toBe('gpt-test-2026-01-01')
    expect(JSON.parse(completion.content)).toMatchObject({ score: 85, temperature: 'hot' })
    expect(completion.usage?.total_tokens).toBe(120)
  })

  it('asks for JSON only when told to, and takes a base URL with a trailing slash', async () => {
    await client({ baseUrl: `${provider.baseUrl}/` }).complete({
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(provider.requests.at(-1)!.path).toBe('/v1/chat/completions')
    expect(provider.requests.at(-1)!.body.response_format).toBeUndefined()
    expect(completionsUrl('https://api.example.com/v1///')).toBe(
      'https://api.example.com/v1/chat/completions',
    )
  })

  it('reports an HTTP error with the status and the provider message', async () => {
    provider.mode = 'http_error'
    const error = await failure(client().complete({ messages: [{ role: 'user', content: 'hi' }] }))
    expect(error.kind).toBe('http')
    expect(error.status).toBe(503)
    expect(error.message).toContain('HTTP 503')
    expect(error.message).toContain('overloaded')
  })

  it('reports a refused key, and never repeats the key a provider echoes back', async () => {
    const refused = await failure(client({ apiKey: 'sk-wrong-key-000000' }).complete({ messages: [] }))
    expect(refused.status).toBe(401)
    expect(refused.message).toContain('Incorrect API key')
    provider.mode = 'echo_key_error'
    const echoed = await failure(client().complete({ messages: [] }))
    expect(echoed.message).not.toContain(KEY)
    expect(echoed.message).toContain('***')
  })

  it('gives up after the timeout', async () => {
    provider.mode = 'timeout'
    const started = Date.now()
    const error = await failure(client().complete({ messages: [], timeoutMs: 300 }))
    expect(error.kind).toBe('timeout')
    // The provider never answers: anything short of the test's own limit proves the timeout.
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('reports a body that is not a chat completion', async () => {
    provider.mode = 'html_body'
    expect((await failure(client().complete({ messages: [] }))).kind).toBe('invalid_response')
  })

  it('reports an unreachable provider', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const error = await failure(
      client({ baseUrl: `http://127.0.0.1:${port}/v1` }).complete({ messages: [], timeoutMs: 2000 }),
    )
    expect(error.kind).toBe('network')
  })

  it('reads a JSON reply, also inside a Markdown fence, and refuses anything else', () => {
    expect(parseJsonReply('{"a":1}')).toEqual({ a: 1 })
    expect(parseJsonReply('```json\n{"a":1}\n```')).toEqual({ a: 1 })
    expect(() => parseJsonReply('Sure! {"a":1}')).toThrow(AiProviderError)
  })
})

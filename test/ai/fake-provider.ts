import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** How the provider answers the next requests. */
export type ProviderMode =
  | 'ok'
  | 'fenced'
  | 'http_error'
  | 'timeout'
  | 'invalid_json'
  | 'schema_mismatch'
  | 'html_body'
  | 'echo_key_error'

export interface RecordedRequest {
  path: string
  authorization: string | undefined
  body: {
    model: string
    messages: { role: string; content: string }[]
    response_format?: { type: string }
  }
}

export interface FakeProvider {
  /** The base URL to configure (`…/v1`). */
  baseUrl: string
  requests: RecordedRequest[]
  mode: ProviderMode
  close(): Promise<void>
}

/**
 * A small OpenAI-compatible chat-completions server on loopback. Its qualification depends on
 * the request: the transcript lines it was sent and what the customer wrote ("price", "buy"…).
 */
export async function startFakeProvider(options: { apiKey?: string } = {}): Promise<FakeProvider> {
  const sockets = new Set<Socket>()
  const state: FakeProvider = {
    baseUrl: '',
    requests: [],
    mode: 'ok',
    close: async () => {},
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
      state.requests.push({ path: req.url ?? '', authorization: req.headers.authorization, body })
      const json = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(payload))
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        return json(404, { error: { message: `No route ${req.method} ${req.url}` } })
      }
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return json(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } })
      }
      const reply = (content: string) =>
        json(200, {
          id: `chatcmpl-${state.requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: `${body.model}-2026-01-01`,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
        })
      switch (state.mode) {
        case 'timeout':
          return // never answers
        case 'http_error':
          return json(503, { error: { message: 'The model is overloaded, try again later' } })
        case 'echo_key_error':
          return json(400, { error: { message: `Bad request from ${req.headers.authorization}` } })
        case 'html_body':
          res.writeHead(200, { 'content-type': 'text/html' })
          return res.end('<html><body>Gateway says hello</body></html>')
        case 'invalid_json':
          return reply('Sure! This lead looks promising, I would call them tomorrow.')
        case 'schema_mismatch':
          return reply(JSON.stringify({ score: 150, temperature: 'boiling', summary: 'x' }))
        case 'fenced':
          return reply(`\`\`\`json\n${JSON.stringify(qualify(body))}\n\`\`\``)
        default:
          return reply(JSON.stringify(qualify(body)))
      }
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  state.baseUrl = `http://127.0.0.1:${port}/v1`
  state.close = async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return state
}

/** A deterministic judgement from what the request carried. */
function qualify(body: RecordedRequest['body']) {
  const prompt = body.messages.map((m) => m.content).join('\n')
  const lines = prompt.split('\n').filter((l) => /^\[\d{4}-\d{2}-\d{2} /.test(l))
  const customer = lines
    .filter((l) => l.includes('] Customer'))
    .join(' ')
    .toLowerCase()
  const keen = /price|buy|quote|how much/.test(customer)
  return {
    score: keen ? 85 : lines.length > 0 ? 55 : 20,
    temperature: keen ? 'hot' : lines.length > 0 ? 'warm' : 'cold',
    summary: `Read ${lines.length} messages.`,
    next_action: keen ? 'Send the quote today' : 'Ask what they need',
  }
}

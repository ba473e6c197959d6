import { createHmac } from 'node:crypto'

/** What an integration answers: texts to send, and whether to hand the conversation to a human. */
export interface BotAnswer {
  texts: string[]
  handover: { reason: string | null } | null
}

export interface ConversationContext {
  event: 'message.received'
  instance: { uuid: string; phone_number: string | null }
  conversation: { id: string; numeric_id: number; chat_jid: string }
  contact: { phone_number: string | null; name: string | null }
  message: {
    id: string
    whatsapp_message_id: string | null
    type: string
    text: string | null
    timestamp: string
  }
  history: { direction: string; text: string | null; timestamp: string }[]
}

export class IntegrationError extends Error {}

async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Zapini-Automation/1.0', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    })
  } catch (error) {
    throw new IntegrationError(
      `request failed: ${(error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message}`,
    )
  }
  const text = await response.text()
  if (!response.ok) throw new IntegrationError(`answered HTTP ${response.status}`)
  if (!text.trim()) return {}
  try {
    return JSON.parse(text)
  } catch {
    throw new IntegrationError('answered something that is not JSON')
  }
}

function textsOf(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() ? [value] : []
  if (Array.isArray(value)) return value.flatMap(textsOf)
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>
    return textsOf(record['text'] ?? record['message'] ?? record['content'] ?? null)
  }
  return []
}

/**
 * An external bot: the conversation context is POSTed (signed with the integration's secret as
 * hex HMAC-SHA256 of the body, `X-Zapini-Signature`), and the texts of its JSON answer are sent
 * back: `reply`, `text` or `message` (a string), or `replies`/`messages` (strings or {text}).
 * `{"handover": true, "reason": "…"}` hands the conversation to a human.
 */
export async function callHttpBot(
  config: { url: string; secret?: string; timeout_ms?: number },
  context: ConversationContext,
): Promise<BotAnswer> {
  const body = JSON.stringify(context)
  const headers: Record<string, string> = {}
  if (config.secret)
    headers['x-zapini-signature'] = createHmac('sha256', config.secret).update(body).digest('hex')
  const answer = (await postJson(config.url, body, headers, config.timeout_ms ?? 10_000)) as Record<
    string,
    unknown
  >
  const texts = textsOf([
    answer['reply'],
    answer['text'],
    answer['message'],
    answer['replies'],
    answer['messages'],
  ])
  const handover =
    answer['handover'] === true
      ? { reason: typeof answer['reason'] === 'string' ? answer['reason'] : null }
      : null
  return { texts, handover }
}

export interface ChatCompletionsConfig {
  base_url: string
  api_key: string
  model: string
  system_prompt?: string
  history_window?: number
  temperature?: number
  timeout_ms?: number
}

/** An AI agent on an OpenAI-compatible chat-completions API, with the conversation as context. */
export async function callChatCompletions(
  config: ChatCompletionsConfig,
  context: ConversationContext,
): Promise<BotAnswer> {
  const messages = [
    ...(config.system_prompt ? [{ role: 'system', content: config.system_prompt }] : []),
    ...context.history
      .filter((m) => m.text)
      .map((m) => ({ role: m.direction === 'incoming' ? 'user' : 'assistant', content: m.text })),
  ]
  const body = JSON.stringify({
    model: config.model,
    messages,
    ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
  })
  const url = `${config.base_url.replace(/\/+$/, '')}/chat/completions`
  const answer = (await postJson(
    url,
    body,
    { authorization: `Bearer ${config.api_key}` },
    config.timeout_ms ?? 30_000,
  )) as {
    choices?: { message?: { content?: unknown } }[]
  }
  const content = answer.choices?.[0]?.message?.content
  if (typeof content !== 'string') throw new IntegrationError('answered without choices[0].message.content')
  return { texts: content.trim() ? [content.trim()] : [], handover: null }
}

import { createHmac } from 'node:crypto'
import type { ChatClient, ChatMessage } from '../ai/client.js'

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

/** An AI agent on an OpenAI-compatible chat-completions API, with the conversation as context. */
export async function askAgent(
  client: ChatClient,
  config: { system_prompt?: string; temperature?: number; timeout_ms?: number },
  context: ConversationContext,
): Promise<BotAnswer> {
  const messages: ChatMessage[] = [
    ...(config.system_prompt ? [{ role: 'system' as const, content: config.system_prompt }] : []),
    ...context.history
      .filter((m) => m.text)
      .map((m) => ({
        role: m.direction === 'incoming' ? ('user' as const) : ('assistant' as const),
        content: m.text ?? '',
      })),
  ]
  let completion: Awaited<ReturnType<ChatClient['complete']>>
  try {
    completion = await client.complete({
      messages,
      ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
      ...(config.timeout_ms !== undefined ? { timeoutMs: config.timeout_ms } : {}),
    })
  } catch (error) {
    throw new IntegrationError(error instanceof Error ? error.message : String(error))
  }
  const text = completion.content.trim()
  return { texts: text ? [text] : [], handover: null }
}

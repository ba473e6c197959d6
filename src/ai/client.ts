/**
 * A small client for OpenAI-compatible chat-completions APIs (OpenAI, Azure-style proxies,
 * OpenRouter, Groq, Ollama, vLLM, LM Studio…): one POST to `{base_url}/chat/completions`.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface CompletionRequest {
  messages: ChatMessage[]
  /** Ask for a JSON object (`response_format: {type: "json_object"}`). */
  json?: boolean
  /** Gives up after this long; 30 s when absent. */
  timeoutMs?: number
  temperature?: number
  maxTokens?: number
}

export interface Completion {
  /** The assistant's text. */
  content: string
  /** The model that answered, as the provider names it. */
  model: string
  usage: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null
}

export interface ChatClient {
  readonly model: string
  complete(request: CompletionRequest): Promise<Completion>
}

export interface ProviderConfig {
  baseUrl: string
  apiKey: string
  model: string
}

export type ProviderFailure = 'http' | 'timeout' | 'network' | 'invalid_response'

/** Why a provider call failed, in words that are safe to show: never the key, at most a short excerpt. */
export class AiProviderError extends Error {
  constructor(
    readonly kind: ProviderFailure,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message)
    this.name = 'AiProviderError'
  }
}

const DEFAULT_TIMEOUT_MS = 30_000

/** `https://host/v1/` → `https://host/v1/chat/completions`. */
export function completionsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/chat/completions`
}

export function createChatClient(config: ProviderConfig, options: { fetch?: typeof fetch } = {}): ChatClient {
  const doFetch = options.fetch ?? fetch
  const url = completionsUrl(config.baseUrl)

  return {
    model: config.model,

    async complete(request) {
      const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS
      const body = {
        model: config.model,
        messages: request.messages,
        ...(request.json ? { response_format: { type: 'json_object' } } : {}),
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
      }
      let response: Response
      let text: string
      // One signal covers the whole exchange: a server that sends headers and then stalls times out too.
      const signal = AbortSignal.timeout(timeoutMs)
      try {
        response = await doFetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
          },
          body: JSON.stringify(body),
          signal,
        })
        text = await response.text()
      } catch (error) {
        if (signal.aborted) {
          throw new AiProviderError('timeout', `The AI provider did not answer within ${timeoutMs / 1000} s.`)
        }
        throw new AiProviderError('network', `The AI provider could not be reached: ${causeOf(error)}.`)
      }
      if (!response.ok) {
        throw new AiProviderError(
          'http',
          `The AI provider answered HTTP ${response.status}${providerMessage(text, config.apiKey)}.`,
          response.status,
        )
      }
      return parseCompletion(text, config.model)
    },
  }
}

function parseCompletion(text: string, fallbackModel: string): Completion {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new AiProviderError('invalid_response', 'The AI provider answered something that is not JSON.')
  }
  const root = parsed as {
    model?: unknown
    choices?: { message?: { content?: unknown } }[]
    usage?: Completion['usage']
  }
  const content = root.choices?.[0]?.message?.content
  if (typeof content !== 'string') {
    throw new AiProviderError(
      'invalid_response',
      'The AI provider answered without choices[0].message.content.',
    )
  }
  return {
    content,
    model: typeof root.model === 'string' ? root.model : fallbackModel,
    usage: root.usage && typeof root.usage === 'object' ? root.usage : null,
  }
}

/** `: <the provider's error message>`, shortened; providers put it in `error.message` (or `error`). */
function providerMessage(text: string, apiKey: string): string {
  let message: unknown
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown }
    message = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message)
  } catch {
    message = text
  }
  if (typeof message !== 'string' || !message.trim()) return ''
  // A provider may echo what it was sent; the key never leaves in an error.
  const line = (apiKey ? message.split(apiKey).join('***') : message).trim().replace(/\s+/g, ' ')
  return `: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error))
}

/**
 * The JSON object in a reply that was asked to be JSON. Some providers wrap it in a Markdown
 * fence even in JSON mode; the fence is dropped, nothing else is forgiven.
 */
export function parseJsonReply(content: string): unknown {
  const trimmed = content.trim()
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(trimmed)
  try {
    return JSON.parse(fenced ? fenced[1]! : trimmed)
  } catch {
    throw new AiProviderError('invalid_response', 'The AI provider did not answer with valid JSON.')
  }
}

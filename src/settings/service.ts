import type { Kysely } from 'kysely'
import { type ChatClient, createChatClient } from '../ai/client.js'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { AppError, validationError } from '../http/errors.js'
import type { Clock } from '../lib/clock.js'
import type { Cipher } from '../lib/secrets.js'
import * as repo from './repository.js'

export type AiSettingsService = ReturnType<typeof createAiSettingsService>

export interface AiSettingsInput {
  base_url: string
  api_key?: string | undefined
  model: string
  timeout_seconds?: number | undefined
}

/** The tenant's provider as a caller may see it: the key only ever masked. */
export interface AiSettingsView {
  configured: boolean
  base_url: string | null
  model: string | null
  api_key: string | null
  timeout_seconds: number | null
  updated_at: string | null
}

/** Enough of a key to recognize it (`sk-…abcd`), never enough to use it. */
export function maskApiKey(key: string): string {
  if (key.length < 12) return '…'
  return `${key.slice(0, 3)}…${key.slice(-4)}`
}

/** An http(s) URL without credentials, query or fragment; the trailing slash dropped. */
function normalizeBaseUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw validationError('base_url', 'The base_url field must be a valid http(s) URL.')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw validationError('base_url', 'The base_url field must be an http or https URL.')
  }
  if (url.username || url.password) {
    throw validationError('base_url', 'The base_url field must not carry credentials; use api_key.')
  }
  if (url.search || url.hash) {
    throw validationError('base_url', 'The base_url field must not have a query or fragment.')
  }
  return url.toString().replace(/\/+$/, '')
}

/** Each tenant's OpenAI-compatible provider (`/settings/ai`), used by ai-qualify and the automations. */
export function createAiSettingsService(deps: { db: Kysely<DB>; clock: Clock; cipher: Cipher }) {
  const { db, clock, cipher } = deps

  async function view(tenantId: number): Promise<AiSettingsView> {
    const row = await repo.findAiSettings(db, tenantId)
    if (!row) {
      return {
        configured: false,
        base_url: null,
        model: null,
        api_key: null,
        timeout_seconds: null,
        updated_at: null,
      }
    }
    return {
      configured: true,
      base_url: row.base_url,
      model: row.model,
      api_key: maskApiKey(cipher.decrypt(row.api_key)),
      timeout_seconds: row.timeout_seconds,
      updated_at: row.updated_at,
    }
  }

  return {
    get: (auth: AuthContext) => view(auth.tenantId),

    /** Sets the provider; without `api_key`, the stored key is kept (changing the model only). */
    async put(auth: AuthContext, input: AiSettingsInput): Promise<AiSettingsView> {
      const baseUrl = normalizeBaseUrl(input.base_url)
      const model = input.model.trim()
      if (!model) throw validationError('model', 'The model field is required.')
      const existing = await repo.findAiSettings(db, auth.tenantId)
      const key = input.api_key?.trim()
      if (!key && !existing) throw validationError('api_key', 'The api_key field is required.')
      const at = clock.now().toISOString()
      await repo.saveAiSettings(db, {
        tenant_id: auth.tenantId,
        base_url: baseUrl,
        api_key: key ? cipher.encrypt(key) : existing!.api_key,
        model,
        timeout_seconds: input.timeout_seconds ?? existing?.timeout_seconds ?? 30,
        created_at: existing?.created_at ?? at,
        updated_at: at,
      })
      return view(auth.tenantId)
    },

    async remove(auth: AuthContext): Promise<void> {
      if (!(await repo.deleteAiSettings(db, auth.tenantId))) {
        throw new AppError('NOT_FOUND', 'No AI provider is configured.')
      }
    },

    /**
     * A client on the tenant's provider, with the timeout it was given; `400 AI_NOT_CONFIGURED`
     * without one. For the modules that call the provider (ai-qualify, automations).
     */
    async clientFor(tenantId: number): Promise<{ client: ChatClient; timeoutMs: number }> {
      const row = await repo.findAiSettings(db, tenantId)
      if (!row) {
        throw new AppError(
          'AI_NOT_CONFIGURED',
          'No AI provider is configured for this account: set one with PUT /api/v1/settings/ai.',
        )
      }
      const client = createChatClient({
        baseUrl: row.base_url,
        apiKey: cipher.decrypt(row.api_key),
        model: row.model,
      })
      return { client, timeoutMs: row.timeout_seconds * 1000 }
    },
  }
}

import type { ColumnType, Selectable } from 'kysely'

/** One row per tenant: its OpenAI-compatible chat-completions provider. */
export interface TenantAiSettingsTable {
  tenant_id: number
  /** The API root, e.g. https://api.openai.com/v1 (requests go to `{base_url}/chat/completions`). */
  base_url: string
  /** Encrypted with the app key (AES-256-GCM): it must be read back to call the provider. */
  api_key: string
  model: string
  timeout_seconds: ColumnType<number, number | undefined, number>
  created_at: string
  updated_at: string
}

export type TenantAiSettings = Selectable<TenantAiSettingsTable>

import type { ColumnType, Generated } from 'kysely'

type Bool = ColumnType<boolean, boolean | undefined, boolean>

export interface AutomationFlowsTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  instance_id: number
  name: string
  trigger: unknown
  steps: unknown
  is_active: Bool
  priority: ColumnType<number, number | undefined, number>
  created_at: string
  updated_at: string
}

export interface AutomationIntegrationsTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  instance_id: number
  name: string
  type: 'http_bot' | 'openai'
  /** Settings; secrets inside are encrypted with the app key. */
  config: unknown
  is_active: Bool
  priority: ColumnType<number, number | undefined, number>
  created_at: string
  updated_at: string
}

export interface AutomationRunsTable {
  conversation_id: number
  flow_id: number
  /** The step that waits for the contact's reply. */
  step: number
  updated_at: string
}

export interface AutomationLogsTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  instance_id: number
  conversation_id: number | null
  /** The incoming message handled; unique, so that no message is answered twice. */
  message_id: number | null
  handler: string
  outcome: 'replied' | 'no_match' | 'skipped' | 'failed' | 'handover'
  detail: string | null
  created_at: string
}

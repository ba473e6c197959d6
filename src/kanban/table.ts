import type { ColumnType, Generated, Selectable } from 'kysely'

type Timestamp = string

export type LeadStatus = 'open' | 'won' | 'lost'

export interface KanbanBoardsTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  name: string
  description: string | null
  /** The currency new leads take when they name none (ISO 4217). */
  currency: string
  created_at: Timestamp
  updated_at: Timestamp
}

export interface KanbanColumnsTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  board_id: number
  name: string
  /** `#RRGGBB` */
  color: string | null
  /** 0..n-1 within the board, without gaps. */
  position: number
  created_at: Timestamp
  updated_at: Timestamp
}

export interface KanbanLeadsTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  board_id: number
  column_id: number
  /** 0..n-1 within the column, without gaps. */
  position: number
  title: string
  value_cents: ColumnType<number, number | undefined, number>
  currency: string
  notes: string | null
  custom_fields: unknown | null
  status: LeadStatus
  contact_id: number | null
  conversation_id: number | null
  won_at: Timestamp | null
  lost_at: Timestamp | null
  lost_reason: string | null
  ai_score: number | null
  ai_temperature: string | null
  ai_summary: string | null
  ai_next_action: string | null
  ai_model: string | null
  ai_qualified_at: Timestamp | null
  created_by: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

/** A lead's tags, in the order given; `tag_key` is the tag folded to lower case. */
export interface KanbanLeadTagsTable {
  lead_id: number
  tag: string
  tag_key: string
  position: number
}

/** The timeline of a lead: one row per change. */
export interface KanbanActivitiesTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  lead_id: number
  type: string
  description: string
  data: unknown | null
  actor: string | null
  created_at: Timestamp
}

export type KanbanBoard = Selectable<KanbanBoardsTable>
export type KanbanColumn = Selectable<KanbanColumnsTable>
export type KanbanLead = Selectable<KanbanLeadsTable>
export type KanbanActivity = Selectable<KanbanActivitiesTable>

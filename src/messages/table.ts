import type { ColumnType, Generated, Selectable } from 'kysely'

type Bool = ColumnType<boolean, boolean | undefined, boolean>

export type MessageStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed'
export type MessageDirection = 'incoming' | 'outgoing'

export interface MessagesTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  instance_id: number
  conversation_id: number | null
  /** Chosen before the first send attempt, so that retries can't make a second message. */
  whatsapp_message_id: string | null
  direction: MessageDirection
  chat_jid: string
  sender_jid: string | null
  sender_number: string | null
  sender_name: string | null
  recipient_number: string | null
  type: string
  body: string | null
  caption: string | null
  media_id: number | null
  media_url: string | null
  media_mime: string | null
  media_file_name: string | null
  media_size: number | null
  media_path: string | null
  quoted_message_id: string | null
  mentions: unknown | null
  status: MessageStatus
  error_code: string | null
  error_message: string | null
  attempts: ColumnType<number, number | undefined, number>
  next_attempt_at: string | null
  expires_at: string | null
  scheduled_at: string | null
  sent_at: string | null
  delivered_at: string | null
  read_at: string | null
  played_at: string | null
  failed_at: string | null
  edited_at: string | null
  deleted_at: string | null
  is_placeholder: Bool
  /** api, direct, automation, scheduled, whatsapp (sent from the phone), … */
  source: ColumnType<string, string | undefined, string>
  created_by: string | null
  created_at: string
  updated_at: string
}

export interface MessageReactionsTable {
  message_id: number
  reactor_jid: string
  reactor_number: string | null
  emoji: string
  from_me: Bool
  reacted_at: string
}

export type Message = Selectable<MessagesTable>

export interface MessageUsageTable {
  instance_id: number
  /** UTC day, YYYY-MM-DD. */
  day: string
  queued: number
  updated_at: string
}

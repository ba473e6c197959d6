import type { ColumnType, Generated, Selectable } from 'kysely'

/** upload: `POST /media/upload`; url: fetched for a send-media; received: arrived with a message. */
export type MediaOrigin = 'upload' | 'url' | 'received'

/** stored: the bytes are in the store; pending: a received file still to download; failed: given up. */
export type MediaStatus = 'stored' | 'pending' | 'failed'

export interface MediaTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  /** The instance it came through (an sk_ token's upload, a send, a received message); null for a user's upload. */
  instance_id: number | null
  /** The message that owns it (url and received media); uploads stand alone. */
  message_id: number | null
  origin: MediaOrigin
  /** image, video, audio, document, or sticker for received stickers. */
  kind: string
  mime_type: string
  size: number | null
  filename: string | null
  /** Where the bytes are in the media store; null until stored. */
  storage_key: string | null
  sha256: string | null
  status: MediaStatus
  attempts: ColumnType<number, number | undefined, number>
  next_attempt_at: string | null
  error: string | null
  /** A received message's engine reference (serialized), so that a retry can download it after a restart. */
  raw: string | null
  /** Uploads expire; media owned by a message live as long as it. */
  expires_at: string | null
  created_at: string
  updated_at: string
}

export type Media = Selectable<MediaTable>

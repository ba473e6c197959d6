import type { Generated } from 'kysely'

/** What reached the sandbox's simulated WhatsApp server: one row per accepted message. */
export interface SandboxRecordsTable {
  /** Order of acceptance. */
  seq: Generated<number>
  /** The sandbox engine's instance: the instance uuid. */
  instance_id: string
  /** The sender's phone. */
  sender: string
  chat_jid: string
  /** The WhatsApp message id. */
  message_id: string
  /** text, image, …, reaction, edit or revoke. */
  type: string
  text: string | null
  caption: string | null
  media: unknown | null
  /** The message a reaction, edit or revoke is about. */
  target_id: string | null
  emoji: string | null
  accepted_at: string
}

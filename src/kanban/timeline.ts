import type { Kysely } from 'kysely'
import { toJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import { type AuthContext, actorName } from '../http/auth-context.js'
import { newUuid } from '../lib/ids.js'
import { insertActivity } from './activity-repository.js'

export type ActivityType =
  | 'created'
  | 'updated'
  | 'moved'
  | 'note'
  | 'won'
  | 'lost'
  | 'reopened'
  | 'ai_qualified'

/** Writes one entry of a lead's timeline, inside the transaction that made the change. */
export async function recordActivity(
  trx: Kysely<DB>,
  auth: AuthContext,
  entry: {
    leadId: number
    type: ActivityType
    description: string
    data?: Record<string, unknown>
    at: string
  },
): Promise<number> {
  return insertActivity(trx, {
    uuid: newUuid(),
    tenant_id: auth.tenantId,
    lead_id: entry.leadId,
    type: entry.type,
    description: entry.description,
    data: entry.data ? toJson(entry.data) : null,
    actor: actorName(auth),
    created_at: entry.at,
  })
}

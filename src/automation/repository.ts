import type { Insertable, Kysely, Updateable } from 'kysely'
import type { DB } from '../db/schema.js'
import type { EntityRef } from '../lib/ids.js'
import type { AutomationFlowsTable, AutomationIntegrationsTable, AutomationLogsTable } from './table.js'

type Db = Kysely<DB>

const FLOW_COLUMNS = [
  'id',
  'uuid',
  'tenant_id',
  'instance_id',
  'name',
  'trigger',
  'steps',
  'is_active',
  'priority',
  'created_at',
  'updated_at',
] as const
const INTEGRATION_COLUMNS = [
  'id',
  'uuid',
  'tenant_id',
  'instance_id',
  'name',
  'type',
  'config',
  'is_active',
  'priority',
  'created_at',
  'updated_at',
] as const

export type FlowRow = Awaited<ReturnType<typeof findFlow>> & {}
export type IntegrationRow = Awaited<ReturnType<typeof findIntegration>> & {}

export async function insertFlow(db: Db, row: Insertable<AutomationFlowsTable>): Promise<number> {
  return (await db.insertInto('automation_flows').values(row).returning('id').executeTakeFirstOrThrow()).id
}

export async function findFlow(db: Db, tenantId: number, ref: EntityRef) {
  const query = db.selectFrom('automation_flows').select(FLOW_COLUMNS).where('tenant_id', '=', tenantId)
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export async function listFlows(db: Db, tenantId: number, instanceId: number | null) {
  let query = db.selectFrom('automation_flows').select(FLOW_COLUMNS).where('tenant_id', '=', tenantId)
  if (instanceId) query = query.where('instance_id', '=', instanceId)
  return query.orderBy('priority').orderBy('id').execute()
}

/** The active flows of an instance, in the order they are tried. */
export async function activeFlows(db: Db, instanceId: number) {
  return db
    .selectFrom('automation_flows')
    .select(FLOW_COLUMNS)
    .where('instance_id', '=', instanceId)
    .where('is_active', '=', true)
    .orderBy('priority')
    .orderBy('id')
    .execute()
}

export async function updateFlow(db: Db, id: number, patch: Updateable<AutomationFlowsTable>): Promise<void> {
  await db.updateTable('automation_flows').set(patch).where('id', '=', id).execute()
}

export async function deleteFlow(db: Db, id: number): Promise<void> {
  await db.deleteFrom('automation_flows').where('id', '=', id).execute()
}

export async function insertIntegration(
  db: Db,
  row: Insertable<AutomationIntegrationsTable>,
): Promise<number> {
  return (
    await db.insertInto('automation_integrations').values(row).returning('id').executeTakeFirstOrThrow()
  ).id
}

export async function findIntegration(db: Db, tenantId: number, ref: EntityRef) {
  const query = db
    .selectFrom('automation_integrations')
    .select(INTEGRATION_COLUMNS)
    .where('tenant_id', '=', tenantId)
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export async function listIntegrations(db: Db, tenantId: number, instanceId: number | null) {
  let query = db
    .selectFrom('automation_integrations')
    .select(INTEGRATION_COLUMNS)
    .where('tenant_id', '=', tenantId)
  if (instanceId) query = query.where('instance_id', '=', instanceId)
  return query.orderBy('priority').orderBy('id').execute()
}

export async function activeIntegrations(db: Db, instanceId: number) {
  return db
    .selectFrom('automation_integrations')
    .select(INTEGRATION_COLUMNS)
    .where('instance_id', '=', instanceId)
    .where('is_active', '=', true)
    .orderBy('priority')
    .orderBy('id')
    .execute()
}

export async function updateIntegration(db: Db, id: number, patch: Updateable<AutomationIntegrationsTable>) {
  await db.updateTable('automation_integrations').set(patch).where('id', '=', id).execute()
}

export async function deleteIntegration(db: Db, id: number): Promise<void> {
  await db.deleteFrom('automation_integrations').where('id', '=', id).execute()
}

/** A row if the instance has an active flow or integration, none otherwise. */
export function activeAutomationQuery(db: Db, instanceId: number) {
  return db
    .selectFrom('automation_flows')
    .select('id')
    .where('instance_id', '=', instanceId)
    .where('is_active', '=', true)
    .unionAll(
      db
        .selectFrom('automation_integrations')
        .select('id')
        .where('instance_id', '=', instanceId)
        .where('is_active', '=', true),
    )
    .limit(1)
}

export async function waitingRun(db: Db, conversationId: number) {
  return db
    .selectFrom('automation_runs')
    .select(['conversation_id', 'flow_id', 'step'])
    .where('conversation_id', '=', conversationId)
    .executeTakeFirst()
}

export async function saveRun(db: Db, conversationId: number, flowId: number, step: number, at: string) {
  await db
    .insertInto('automation_runs')
    .values({ conversation_id: conversationId, flow_id: flowId, step, updated_at: at })
    .onConflict((oc) => oc.column('conversation_id').doUpdateSet({ flow_id: flowId, step, updated_at: at }))
    .execute()
}

export async function clearRun(db: Db, conversationId: number): Promise<void> {
  await db.deleteFrom('automation_runs').where('conversation_id', '=', conversationId).execute()
}

/** Records that a message was handled; false when it already was (a replayed event). */
export async function claimMessage(db: Db, row: Insertable<AutomationLogsTable>): Promise<boolean> {
  const result = await db
    .insertInto('automation_logs')
    .values(row)
    .onConflict((oc) => oc.column('message_id').doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

export async function finishLog(
  db: Db,
  messageId: number,
  patch: Updateable<AutomationLogsTable>,
): Promise<void> {
  await db.updateTable('automation_logs').set(patch).where('message_id', '=', messageId).execute()
}

/** Messages automation sent into the conversation since `since`: the per-minute cap. */
export async function automatedRepliesSince(db: Db, conversationId: number, since: string): Promise<number> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('conversation_id', '=', conversationId)
    .where('source', '=', 'automation')
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** How many incoming messages the conversation has: 1 means this is its first. */
export async function incomingCount(db: Db, conversationId: number): Promise<number> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('conversation_id', '=', conversationId)
    .where('direction', '=', 'incoming')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** The conversation's last messages, oldest first, for an AI agent's context. */
export async function history(db: Db, conversationId: number, limit: number) {
  const rows = await db
    .selectFrom('messages')
    .select(['id', 'direction', 'body', 'caption', 'type', 'created_at'])
    .where('conversation_id', '=', conversationId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
  return rows.reverse()
}

// The automation state of a conversation lives on its row; only this module writes it.

export async function findConversation(db: Db, tenantId: number, ref: EntityRef) {
  const query = db
    .selectFrom('conversations')
    .select([
      'id',
      'uuid',
      'tenant_id',
      'instance_id',
      'chat_jid',
      'is_group',
      'is_archived',
      'contact_id',
      'automation_paused',
      'paused_at',
      'paused_by',
      'pause_reason',
      'resumed_at',
    ])
    .where('tenant_id', '=', tenantId)
  return (
    'id' in ref ? query.where('id', '=', ref.id) : query.where('uuid', '=', ref.uuid)
  ).executeTakeFirst()
}

export type ConversationRow = Awaited<ReturnType<typeof findConversation>> & {}

export async function setPaused(
  db: Db,
  conversationId: number,
  state: { paused: true; at: string; by: string; reason: string | null } | { paused: false; at: string },
): Promise<void> {
  await db
    .updateTable('conversations')
    .set(
      state.paused
        ? {
            automation_paused: true,
            paused_at: state.at,
            paused_by: state.by,
            pause_reason: state.reason,
            updated_at: state.at,
          }
        : {
            automation_paused: false,
            resumed_at: state.at,
            is_archived: false,
            archived_at: null,
            updated_at: state.at,
          },
    )
    .where('id', '=', conversationId)
    .execute()
}

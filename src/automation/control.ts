import type { Kysely } from 'kysely'
import { bool } from '../db/dialect.js'
import { preparedQuery } from '../db/prepared.js'
import type { DB } from '../db/schema.js'
import { type AuthContext, actorName } from '../http/auth-context.js'
import { AppError, notFound } from '../http/errors.js'
import type { Clock } from '../lib/clock.js'
import { parseEntityRef } from '../lib/ids.js'
import type { ConversationRow } from './repository.js'
import * as repo from './repository.js'

export type AutomationStatus = 'active' | 'paused' | 'none'
export type AutomationControl = ReturnType<typeof createAutomationControl>

const MAX_BULK = 100

/**
 * The human handover (DECISIONS §7): a conversation's automation is `active` when its instance
 * has an active flow or integration and nobody paused it, `paused` after a pause, `none` when the
 * instance has no automation. While active, manual sends into it are refused.
 */
export function createAutomationControl(deps: { db: Kysely<DB>; clock: Clock }) {
  const { db, clock } = deps
  // Asked before every manual send; on SQLite answered from memory until a flow or integration changes.
  const activeAutomation = preparedQuery(
    db,
    (instanceId: number) => repo.activeAutomationQuery(db, instanceId),
    1,
    { cacheUntilChangeOf: ['automation_flows', 'automation_integrations'] },
  )
  const hasActiveAutomation = async (instanceId: number) => (await activeAutomation(instanceId)).length > 0

  async function find(auth: AuthContext, ref: string): Promise<ConversationRow> {
    const parsed = parseEntityRef(ref)
    const row = parsed ? await repo.findConversation(db, auth.tenantId, parsed) : undefined
    if (!row || (auth.instanceId !== null && auth.instanceId !== row.instance_id))
      throw notFound('Conversation')
    return row
  }

  async function statusOf(
    row: Pick<ConversationRow, 'instance_id' | 'automation_paused'>,
  ): Promise<AutomationStatus> {
    if (!(await hasActiveAutomation(row.instance_id))) return 'none'
    return bool(row.automation_paused) ? 'paused' : 'active'
  }

  /** Every documented field of the automation state, side by side (DECISIONS §7). */
  async function view(row: ConversationRow) {
    const status = await statusOf(row)
    const paused = status === 'paused'
    return {
      conversation_id: row.uuid,
      numeric_id: row.id,
      automation_status: status,
      is_automation_active: status === 'active',
      can_send_manual_message: status !== 'active',
      automation_paused: paused,
      paused_at: paused ? row.paused_at : null,
      automation_paused_at: paused ? row.paused_at : null,
      paused_by: paused ? row.paused_by : null,
      reason: paused ? row.pause_reason : null,
      pause_reason: paused ? row.pause_reason : null,
      resumed_at: row.resumed_at,
    }
  }

  async function pauseRow(row: ConversationRow, by: string, reason: string | null): Promise<void> {
    const status = await statusOf(row)
    if (status === 'none')
      throw new AppError('NO_ACTIVE_AUTOMATION', 'This conversation has no active automation.')
    if (status === 'paused')
      throw new AppError('AUTOMATION_ALREADY_PAUSED', 'Automation is already paused for this conversation.')
    await repo.setPaused(db, row.id, { paused: true, at: clock.now().toISOString(), by, reason })
  }

  async function resumeRow(row: ConversationRow): Promise<void> {
    const status = await statusOf(row)
    if (status === 'none')
      throw new AppError('NO_ACTIVE_AUTOMATION', 'This conversation has no active automation.')
    if (status !== 'paused')
      throw new AppError('AUTOMATION_NOT_PAUSED', 'Automation is not paused for this conversation.')
    // Archiving closes the manual service session before control goes back to the automation.
    if (!bool(row.is_archived)) {
      throw new AppError(
        'ARCHIVE_REQUIRED',
        'Archive the conversation first: automation resumes only on an archived conversation.',
      )
    }
    await repo.setPaused(db, row.id, { paused: false, at: clock.now().toISOString() })
    await repo.clearRun(db, row.id)
  }

  async function bulk(
    auth: AuthContext,
    ids: (string | number)[],
    action: (row: ConversationRow) => Promise<void>,
  ): Promise<{
    done: number
    skipped: number
    errors: { conversation_id: string | number; code: string; error: string }[]
  }> {
    if (ids.length > MAX_BULK) {
      throw new AppError('VALIDATION_ERROR', 'The given data was invalid.', {
        conversation_ids: [`At most ${MAX_BULK} conversations per call.`],
      })
    }
    let done = 0
    let skipped = 0
    const errors: { conversation_id: string | number; code: string; error: string }[] = []
    for (const id of ids) {
      try {
        await action(await find(auth, String(id)))
        done++
      } catch (error) {
        if (error instanceof AppError && error.code !== 'NOT_FOUND' && error.status < 500) {
          // Already in the wanted state, or no automation: nothing to do for this one.
          skipped++
          errors.push({ conversation_id: id, code: error.code, error: error.message })
        } else if (error instanceof AppError) {
          errors.push({ conversation_id: id, code: error.code, error: error.message })
        } else {
          throw error
        }
      }
    }
    return { done, skipped, errors }
  }

  return {
    find,
    statusOf,
    hasActiveAutomation,

    async get(auth: AuthContext, ref: string) {
      return view(await find(auth, ref))
    },

    async pause(auth: AuthContext, ref: string, reason?: string | null) {
      const row = await find(auth, ref)
      await pauseRow(row, actorName(auth), reason ?? null)
      return view((await repo.findConversation(db, auth.tenantId, { id: row.id }))!)
    },

    async resume(auth: AuthContext, ref: string) {
      const row = await find(auth, ref)
      await resumeRow(row)
      return view((await repo.findConversation(db, auth.tenantId, { id: row.id }))!)
    },

    async bulkPause(auth: AuthContext, ids: (string | number)[], reason?: string | null) {
      const result = await bulk(auth, ids, (row) => pauseRow(row, actorName(auth), reason ?? null))
      return { paused: result.done, skipped: result.skipped, errors: result.errors }
    },

    async bulkResume(auth: AuthContext, ids: (string | number)[]) {
      const result = await bulk(auth, ids, resumeRow)
      return { resumed: result.done, skipped: result.skipped, errors: result.errors }
    },

    /** The automation itself hands a conversation over to a human. */
    async handover(conversationId: number, reason: string | null): Promise<void> {
      await repo.setPaused(db, conversationId, {
        paused: true,
        at: clock.now().toISOString(),
        by: 'automation',
        reason: reason ?? 'Handed over to a human',
      })
      await repo.clearRun(db, conversationId)
    },

    /** The same check for a send named by its chat (the direct endpoints). */
    async assertManualSendAllowedToChat(instanceId: number, chatJid: string): Promise<void> {
      // Most instances have no automation: then the conversation need not be read at all.
      if (!(await hasActiveAutomation(instanceId))) return
      const row = await db
        .selectFrom('conversations')
        .select('id')
        .where('instance_id', '=', instanceId)
        .where('chat_jid', '=', chatJid)
        .executeTakeFirst()
      await this.assertManualSendAllowed(row ?? null)
    },

    /** Refuses a manual send into an existing conversation whose automation is active. */
    async assertManualSendAllowed(conversation: { id: number } | null): Promise<void> {
      if (!conversation) return
      const row = await db
        .selectFrom('conversations')
        .select(['id', 'instance_id', 'automation_paused'])
        .where('id', '=', conversation.id)
        .executeTakeFirst()
      if (!row || (await statusOf(row)) !== 'active') return
      throw new AppError(
        'AUTOMATION_ACTIVE',
        'Cannot send messages. This conversation has active automation. Pause the automation first to send messages manually.',
        { conversation_id: row.id },
        { extra: { conversation_id: row.id } },
      )
    },
  }
}

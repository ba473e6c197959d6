import type { Kysely } from 'kysely'
import { nameOf } from '../contacts/fields.js'
import type { ContactService } from '../contacts/service.js'
import type { ConversationService } from '../conversations/service.js'
import { toJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import { type AuthContext, actorName } from '../http/auth-context.js'
import { notFound, validationError } from '../http/errors.js'
import type { Clock } from '../lib/clock.js'
import { newUuid, parseEntityRef } from '../lib/ids.js'
import * as activities from './activity-repository.js'
import * as boards from './board-repository.js'
import type { BoardService } from './board-service.js'
import { latestConversationOf } from './conversation-reader.js'
import { applyChanges, cleanTags, type LeadPatch, statusChange } from './lead-changes.js'
import * as leads from './lead-repository.js'
import { movePlace } from './positions.js'
import { presentActivity, presentLead, toCents } from './present.js'
import type { LeadStatus } from './table.js'
import { recordActivity } from './timeline.js'
import { clamp, PlaceChanged, transact } from './tx.js'

export type LeadService = ReturnType<typeof createLeadService>

export interface CreateLeadInput {
  board_id?: string | undefined
  column_id?: string | undefined
  position?: number | undefined
  title?: string | undefined
  value?: number | undefined
  currency?: string | undefined
  notes?: string | null | undefined
  tags?: string[] | undefined
  custom_fields?: Record<string, unknown> | undefined
  status?: string | undefined
  contact_id?: string | undefined
  conversation_id?: string | undefined
}

export interface LeadListQuery {
  column_id?: string | undefined
  status?: string | undefined
  search?: string | undefined
  tag?: string | undefined
  contact_id?: string | undefined
  value_min?: number | undefined
  value_max?: number | undefined
  created_from?: string | undefined
  created_to?: string | undefined
}

/** Leads: where they sit, what they link to, and their timeline. */
export function createLeadService(deps: {
  db: Kysely<DB>
  clock: Clock
  boards: Pick<BoardService, 'findBoard' | 'findColumn'>
  contacts: Pick<ContactService, 'find'>
  conversations: Pick<ConversationService, 'find'>
  /** Reads a datetime filter that may lack an offset (in the caller's time zone). */
  instant: (auth: AuthContext, value: string, field: string, endOfDay?: boolean) => Promise<string>
}) {
  const { db, clock } = deps
  const nowIso = () => clock.now().toISOString()

  async function find(auth: AuthContext, ref: string): Promise<leads.LeadRow> {
    const parsed = parseEntityRef(ref)
    const row = parsed ? await leads.findLead(db, auth.tenantId, parsed) : undefined
    if (!row) throw notFound('Lead')
    return row
  }

  async function view(id: number) {
    const row = await leads.findLeadById(db, id)
    if (!row) throw notFound('Lead')
    return presentLead(row, (await leads.tagsOf(db, [id])).get(id) ?? [])
  }

  /** The column a new lead goes to: `column_id`, the board's first column, or the first board's. */
  async function columnFor(auth: AuthContext, boardRef?: string, columnRef?: string) {
    const board = boardRef
      ? await deps.boards.findBoard(auth, boardRef)
      : await boards.firstBoard(db, auth.tenantId)
    if (columnRef) {
      const column = await deps.boards.findColumn(auth, columnRef, 'column_id')
      if (board && boardRef && column.board_id !== board.id) {
        throw validationError('column_id', 'The column is not on that board.')
      }
      return column
    }
    if (!board) throw validationError('board_id', 'There is no kanban board yet: create one first.')
    const [first] = await boards.columnsOf(db, [board.id])
    if (!first) throw validationError('column_id', 'The board has no columns: add one first.')
    return first
  }

  /** A contact and/or conversation the caller may see; each completes the other when it can. */
  async function linksFor(auth: AuthContext, contactRef?: string | null, conversationRef?: string | null) {
    const contact = contactRef ? await deps.contacts.find(auth, contactRef) : null
    const conversation = conversationRef ? await deps.conversations.find(auth, conversationRef) : null
    const contactId = contact?.id ?? conversation?.contact_id ?? null
    const conversationId =
      conversation?.id ??
      (contact
        ? ((await latestConversationOf(db, auth.tenantId, contact.id, auth.instanceId))?.id ?? null)
        : null)
    const title = (contact && (nameOf(contact) ?? contact.phone_number)) || conversation?.name || null
    return { contactId, conversationId, title }
  }

  return {
    find,
    view,

    async list(
      auth: AuthContext,
      boardRef: string,
      query: LeadListQuery,
      page: { limit: number; offset: number },
    ) {
      const board = await deps.boards.findBoard(auth, boardRef)
      const column = query.column_id ? await deps.boards.findColumn(auth, query.column_id, 'column_id') : null
      const contact = query.contact_id ? await deps.contacts.find(auth, query.contact_id) : null
      const { rows, total } = await leads.listLeads(
        db,
        auth.tenantId,
        {
          boardId: board.id,
          columnId: column?.id,
          status: query.status as LeadStatus | undefined,
          search: query.search?.trim().toLowerCase() || undefined,
          tag: query.tag?.trim() || undefined,
          contactId: contact?.id,
          minCents: query.value_min === undefined ? undefined : toCents(query.value_min),
          maxCents: query.value_max === undefined ? undefined : toCents(query.value_max),
          createdFrom: query.created_from
            ? await deps.instant(auth, query.created_from, 'created_from')
            : undefined,
          createdTo: query.created_to
            ? await deps.instant(auth, query.created_to, 'created_to', true)
            : undefined,
        },
        page,
      )
      const tags = await leads.tagsOf(
        db,
        rows.map((r) => r.id),
      )
      return { items: rows.map((row) => presentLead(row, tags.get(row.id) ?? [])), total }
    },

    /** Creates a lead; `origin` tells the timeline where it came from (an appointment, a flow…). */
    async create(auth: AuthContext, input: CreateLeadInput, origin?: { description: string; data: object }) {
      const column = await columnFor(auth, input.board_id, input.column_id)
      const board = (await boards.findBoardById(db, column.board_id))!
      const links = await linksFor(auth, input.contact_id, input.conversation_id)
      const title = input.title?.trim() || links.title
      if (!title)
        throw validationError('title', 'The title field is required when no contact names the lead.')
      const status = (input.status ?? 'open') as LeadStatus
      const tags = cleanTags(input.tags ?? [])
      const at = nowIso()
      const id = await transact(db, async (trx) => {
        if ((await leads.lockColumns(trx, auth.tenantId, [column.id])).length === 0) throw notFound('Column')
        const count = await leads.countInColumn(trx, column.id)
        const position = clamp(input.position ?? count, 0, count)
        await leads.shiftPositions(trx, column.id, 1, position)
        const leadId = await leads.insertLead(trx, {
          uuid: newUuid(),
          tenant_id: auth.tenantId,
          board_id: board.id,
          column_id: column.id,
          position,
          title,
          value_cents: toCents(input.value ?? 0),
          currency: (input.currency ?? board.currency).toUpperCase(),
          notes: input.notes ?? null,
          custom_fields: toJson(input.custom_fields ?? {}),
          status,
          contact_id: links.contactId,
          conversation_id: links.conversationId,
          won_at: status === 'won' ? at : null,
          lost_at: status === 'lost' ? at : null,
          lost_reason: null,
          ai_score: null,
          ai_temperature: null,
          ai_summary: null,
          ai_next_action: null,
          ai_model: null,
          ai_qualified_at: null,
          created_by: actorName(auth),
          created_at: at,
          updated_at: at,
        })
        await leads.replaceTags(trx, leadId, tags)
        await recordActivity(trx, auth, {
          leadId,
          type: 'created',
          description: origin?.description ?? `Created in ${column.name}`,
          data: { column_id: column.id, column: column.name, position, status, ...origin?.data },
          at,
        })
        return leadId
      })
      return view(id)
    },

    async update(
      auth: AuthContext,
      ref: string,
      patch: LeadPatch & { column_id?: string; position?: number },
    ) {
      const lead = await find(auth, ref)
      // Everything is checked before anything changes.
      const target = patch.column_id ? await deps.boards.findColumn(auth, patch.column_id, 'column_id') : null
      const links =
        patch.contact_id !== undefined || patch.conversation_id !== undefined
          ? await linksFor(auth, patch.contact_id, patch.conversation_id)
          : null
      const at = nowIso()
      await db.transaction().execute(async (trx) => {
        const tags = (await leads.tagsOf(trx, [lead.id])).get(lead.id) ?? []
        await applyChanges(trx, auth, lead, tags, patch, links, at)
      })
      if (target || patch.position !== undefined) {
        const column =
          target ?? (await boards.findColumnById(db, (await leads.placeOf(db, lead.id))!.column_id))!
        await transact(db, (trx) => movePlace(trx, auth, lead.id, column, patch.position, at))
      }
      return view(lead.id)
    },

    async remove(auth: AuthContext, ref: string): Promise<void> {
      const lead = await find(auth, ref)
      await transact(db, async (trx) => {
        const before = await leads.placeOf(trx, lead.id)
        if (!before) throw notFound('Lead')
        await leads.lockColumns(trx, auth.tenantId, [before.column_id])
        const place = await leads.placeOf(trx, lead.id)
        if (!place) throw notFound('Lead')
        if (place.column_id !== before.column_id) throw new PlaceChanged()
        await leads.deleteLead(trx, auth.tenantId, lead.id)
        await leads.shiftPositions(trx, place.column_id, -1, place.position + 1)
      })
    },

    /** Moves a lead to a column (of any board of the tenant) at a position; positions stay 0..n-1. */
    async move(auth: AuthContext, ref: string, input: { column_id: string; position?: number | undefined }) {
      const lead = await find(auth, ref)
      const target = await deps.boards.findColumn(auth, input.column_id, 'column_id')
      await transact(db, (trx) => movePlace(trx, auth, lead.id, target, input.position, nowIso()))
      return view(lead.id)
    },

    async won(
      auth: AuthContext,
      ref: string,
      input: { value?: number | undefined; note?: string | undefined },
    ) {
      const lead = await find(auth, ref)
      await db.transaction().execute((trx) => statusChange(trx, auth, lead, 'won', input, nowIso()))
      return view(lead.id)
    },

    async lost(
      auth: AuthContext,
      ref: string,
      input: { reason?: string | undefined; note?: string | undefined },
    ) {
      const lead = await find(auth, ref)
      await db.transaction().execute((trx) => statusChange(trx, auth, lead, 'lost', input, nowIso()))
      return view(lead.id)
    },

    async note(auth: AuthContext, ref: string, text: string | undefined) {
      const note = text?.trim()
      if (!note) throw validationError('note', 'The note field is required.')
      const lead = await find(auth, ref)
      const at = nowIso()
      const id = await db.transaction().execute(async (trx) => {
        await leads.updateLead(trx, auth.tenantId, lead.id, { updated_at: at })
        return recordActivity(trx, auth, {
          leadId: lead.id,
          type: 'note',
          description: note,
          data: { note },
          at,
        })
      })
      return presentActivity((await activities.findActivityById(db, id))!, lead.uuid)
    },

    async activities(
      auth: AuthContext,
      ref: string,
      filter: { type?: string | undefined },
      page: { limit: number; offset: number },
    ) {
      const lead = await find(auth, ref)
      const { rows, total } = await activities.listActivities(db, auth.tenantId, lead.id, filter, page)
      return { items: rows.map((row) => presentActivity(row, lead.uuid)), total }
    },
  }
}

import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { notFound, validationError } from '../http/errors.js'
import * as boards from './board-repository.js'
import * as leads from './lead-repository.js'
import { recordActivity } from './timeline.js'
import { clamp, PlaceChanged } from './tx.js'

/**
 * Inside a transaction: moves a lead to `target` at `wanted` (the end when absent). The columns
 * involved are locked first (lowest id first), then the lead's place is read again; if it moved
 * meanwhile, the transaction starts over. Both columns keep their positions 0..n-1.
 */
export async function movePlace(
  trx: Kysely<DB>,
  auth: AuthContext,
  leadId: number,
  target: { id: number; board_id: number; name: string },
  wanted: number | undefined,
  at: string,
): Promise<void> {
  const before = await leads.placeOf(trx, leadId)
  if (!before) throw notFound('Lead')
  const locked = await leads.lockColumns(trx, auth.tenantId, [before.column_id, target.id])
  if (!locked.includes(target.id)) throw validationError('column_id', 'The column was not found.')
  const place = await leads.placeOf(trx, leadId)
  if (!place) throw notFound('Lead')
  if (place.column_id !== before.column_id) throw new PlaceChanged()

  const count = await leads.countInColumn(trx, target.id)
  let position: number
  if (place.column_id === target.id) {
    position = clamp(wanted ?? count - 1, 0, count - 1)
    if (position === place.position) return
    if (position > place.position)
      await leads.shiftPositions(trx, target.id, -1, place.position + 1, position)
    else await leads.shiftPositions(trx, target.id, 1, position, place.position - 1)
  } else {
    await leads.shiftPositions(trx, place.column_id, -1, place.position + 1)
    position = clamp(wanted ?? count, 0, count)
    await leads.shiftPositions(trx, target.id, 1, position)
  }
  await leads.updateLead(trx, auth.tenantId, leadId, {
    column_id: target.id,
    board_id: target.board_id,
    position,
    updated_at: at,
  })
  const from = await boards.findColumnById(trx, place.column_id)
  const sameColumn = place.column_id === target.id
  await recordActivity(trx, auth, {
    leadId,
    type: 'moved',
    description: sameColumn
      ? `Moved within ${target.name} to position ${position}`
      : `Moved from ${from?.name ?? 'another column'} to ${target.name}`,
    data: {
      from_column_id: place.column_id,
      from_column: from?.name ?? null,
      from_position: place.position,
      to_column_id: target.id,
      to_column: target.name,
      to_position: position,
      ...(place.board_id !== target.board_id
        ? { from_board_id: place.board_id, to_board_id: target.board_id }
        : {}),
    },
    at,
  })
}

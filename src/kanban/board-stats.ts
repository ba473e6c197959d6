import type { boardTotals } from './lead-repository.js'
import { type ColumnView, fromCents } from './present.js'

type Totals = Awaited<ReturnType<typeof boardTotals>>

const rate = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10000) / 100)

/**
 * A board's figures from its per-(column, status) totals: leads and value per column, open, won
 * and lost totals, conversion (won per 100 leads) and win rate (won per 100 closed leads).
 * Values are summed whatever their currency.
 */
export function boardStats(totals: Totals, columns: ColumnView[]) {
  const sum = (pick: (t: Totals[number]) => boolean, of: 'leads' | 'cents') =>
    totals.filter(pick).reduce((acc, t) => acc + t[of], 0)
  const all = sum(() => true, 'leads')
  const won = sum((t) => t.status === 'won', 'leads')
  const lost = sum((t) => t.status === 'lost', 'leads')
  return {
    total_leads: all,
    open_leads: sum((t) => t.status === 'open', 'leads'),
    won_leads: won,
    lost_leads: lost,
    total_value: fromCents(sum(() => true, 'cents')),
    open_value: fromCents(sum((t) => t.status === 'open', 'cents')),
    won_value: fromCents(sum((t) => t.status === 'won', 'cents')),
    lost_value: fromCents(sum((t) => t.status === 'lost', 'cents')),
    conversion_rate: rate(won, all),
    win_rate: rate(won, won + lost),
    columns: columns.map((c) => {
      const here = (t: Totals[number]) => t.columnId === c.numeric_id
      const open = (t: Totals[number]) => here(t) && t.status === 'open'
      return {
        column_id: c.numeric_id,
        column_uuid: c.uuid,
        name: c.name,
        position: c.position,
        leads: sum(here, 'leads'),
        value: fromCents(sum(here, 'cents')),
        open_leads: sum(open, 'leads'),
        open_value: fromCents(sum(open, 'cents')),
      }
    }),
  }
}

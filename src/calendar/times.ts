import { isTimeZone } from '../auth/service.js'
import { validationError } from '../http/errors.js'

export { isTimeZone }

const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/

const formats = new Map<string, Intl.DateTimeFormat>()

function formatIn(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formats.set(zone, format)
  }
  return format
}

/** The wall-clock fields of an instant in a zone. */
function wallClock(zone: string, ms: number) {
  const parts: Record<string, number> = {}
  for (const part of formatIn(zone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value)
  }
  return {
    year: parts['year']!,
    month: parts['month']!,
    day: parts['day']!,
    hour: parts['hour']!,
    minute: parts['minute']!,
    second: parts['second']!,
  }
}

/** How far the zone's clocks are ahead of UTC at that instant, in ms. */
function offsetAt(zone: string, ms: number): number {
  const w = wallClock(zone, ms)
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  return asUtc - Math.floor(ms / 1000) * 1000
}

/** The instant at which the zone's clocks show that wall time (the later reading across a DST change). */
function fromWallClock(zone: string, wall: number): number {
  const first = wall - offsetAt(zone, wall)
  const second = wall - offsetAt(zone, first)
  return second
}

/**
 * An ISO 8601 date-time as an instant (ISO, UTC, `Z`). With an offset it is taken as is; without
 * one, it is read in `zone`. A date alone is that day's midnight, or with `endOfDay` its last millisecond.
 */
export function parseInstant(
  value: string,
  zone: string,
  field: string,
  options: { endOfDay?: boolean } = {},
) {
  const text = value.trim()
  const invalid = () =>
    validationError(field, `The ${field} field must be an ISO 8601 date-time (e.g. 2026-03-01T14:30:00).`)
  if (WITH_OFFSET.test(text)) {
    const ms = Date.parse(text.replace(' ', 'T'))
    if (Number.isNaN(ms)) throw invalid()
    return new Date(ms).toISOString()
  }
  const m = LOCAL.exec(text)
  if (!m) throw invalid()
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const millis = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3))
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millis)
  const check = new Date(wall)
  // Date.UTC rolls 2026-02-30 over into March; a date that rolls over was not a date.
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw invalid()
  }
  const dateOnly = m[4] === undefined
  const instant = fromWallClock(zone, dateOnly && options.endOfDay ? wall + 86_400_000 : wall)
  return new Date(dateOnly && options.endOfDay ? instant - 1 : instant).toISOString()
}

/** `2026-03-01T14:30:00`: the instant on the zone's clocks, without an offset. */
export function localTime(iso: string, zone: string): string {
  const w = wallClock(zone, Date.parse(iso))
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`
}

import { describe, expect, it } from 'vitest'
import { localTime, parseInstant } from '../../src/calendar/times.js'

describe('calendar times', () => {
  it('takes a datetime with an offset as is', () => {
    expect(parseInstant('2026-03-10T09:00:00Z', 'Asia/Tokyo', 'start')).toBe('2026-03-10T09:00:00.000Z')
    expect(parseInstant('2026-03-10T09:00:00-03:00', 'UTC', 'start')).toBe('2026-03-10T12:00:00.000Z')
    expect(parseInstant('2026-03-10T09:00:00.250+0530', 'UTC', 'start')).toBe('2026-03-10T03:30:00.250Z')
  })

  it('reads a datetime without an offset in the given zone', () => {
    expect(parseInstant('2026-03-10T09:00:00', 'America/Sao_Paulo', 'start')).toBe('2026-03-10T12:00:00.000Z')
    expect(parseInstant('2026-03-10 09:00', 'Asia/Kolkata', 'start')).toBe('2026-03-10T03:30:00.000Z')
    expect(parseInstant('2026-07-01T12:00', 'Europe/Berlin', 'start')).toBe('2026-07-01T10:00:00.000Z')
    expect(parseInstant('2026-01-01T12:00', 'Europe/Berlin', 'start')).toBe('2026-01-01T11:00:00.000Z')
    expect(parseInstant('2026-01-01T12:00', 'UTC', 'start')).toBe('2026-01-01T12:00:00.000Z')
  })

  it('handles daylight saving changes', () => {
    // New York springs forward on 2026-03-08 at 02:00 (EST −5 → EDT −4).
    expect(parseInstant('2026-03-08T01:30', 'America/New_York', 'start')).toBe('2026-03-08T06:30:00.000Z')
    expect(parseInstant('2026-03-08T03:30', 'America/New_York', 'start')).toBe('2026-03-08T07:30:00.000Z')
    // 02:30 does not exist that day: it lands next to the gap, not a day away.
    const gap = Date.parse(parseInstant('2026-03-08T02:30', 'America/New_York', 'start'))
    expect(Math.abs(gap - Date.parse('2026-03-08T07:00:00Z'))).toBeLessThanOrEqual(3_600_000)
  })

  it('reads a date alone as midnight, or the end of that day', () => {
    expect(parseInstant('2026-03-10', 'America/Sao_Paulo', 'from')).toBe('2026-03-10T03:00:00.000Z')
    expect(parseInstant('2026-03-10', 'America/Sao_Paulo', 'to', { endOfDay: true })).toBe(
      '2026-03-11T02:59:59.999Z',
    )
  })

  it('refuses what is not a date-time', () => {
    for (const value of [
      'tomorrow',
      '2026-02-30T10:00',
      '2026-13-01',
      '2026-01-01T24:00',
      '10:00',
      '2026-01-01T10:00+99',
    ]) {
      let error: any
      try {
        parseInstant(value, 'UTC', 'start')
      } catch (e) {
        error = e
      }
      expect(error?.code, value).toBe('VALIDATION_ERROR')
      expect(error.details.start[0]).toContain('ISO 8601')
    }
  })

  it('shows an instant on a zone’s clocks', () => {
    expect(localTime('2026-03-10T12:00:00.000Z', 'America/Sao_Paulo')).toBe('2026-03-10T09:00:00')
    expect(localTime('2026-03-10T23:30:00.000Z', 'Asia/Tokyo')).toBe('2026-03-11T08:30:00')
  })
})

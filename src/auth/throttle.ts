import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import { AppError } from '../http/errors.js'
import { addSeconds, type Clock } from '../lib/clock.js'
import { clearLoginFailures, findLoginFailures, saveLoginFailures } from './repository.js'

export interface LoginThrottle {
  /** Throws 429 TOO_MANY_ATTEMPTS while the e-mail is locked out. */
  assertAllowed(email: string): Promise<void>
  recordFailure(email: string): Promise<void>
  reset(email: string): Promise<void>
  /**
   * Runs the login attempts for one e-mail one at a time (in this process). Without it, a burst of
   * parallel attempts would all pass `assertAllowed` before the first failure is recorded, and
   * every one of them would be checked, however low the limit.
   */
  exclusive<T>(email: string, attempt: () => Promise<T>): Promise<T>
}

/**
 * Failed logins are counted per e-mail (in the database, so every process sees them) within a
 * window; past the limit the e-mail is locked for the window's length, whatever the password.
 */
export function createLoginThrottle(
  db: Kysely<DB>,
  clock: Clock,
  limits: { maxFailures: number; lockoutSeconds: number },
): LoginThrottle {
  /** The last attempt queued for each e-mail; it never rejects. */
  const queues = new Map<string, Promise<unknown>>()

  return {
    async exclusive(email, attempt) {
      const run = (queues.get(email) ?? Promise.resolve()).then(attempt)
      const tail = run.catch(() => undefined)
      queues.set(email, tail)
      try {
        return await run
      } finally {
        if (queues.get(email) === tail) queues.delete(email)
      }
    },

    async assertAllowed(email) {
      const row = await findLoginFailures(db, email)
      if (!row?.locked_until) return
      const remaining = Math.ceil((Date.parse(row.locked_until) - clock.now().getTime()) / 1000)
      if (remaining <= 0) return
      throw new AppError(
        'TOO_MANY_ATTEMPTS',
        `Too many failed logins for this e-mail. Try again in ${remaining} seconds.`,
        { retry_after: remaining },
        { headers: { 'retry-after': String(remaining) } },
      )
    },

    async recordFailure(email) {
      const now = clock.now()
      const row = await findLoginFailures(db, email)
      const windowOpen = row && Date.parse(row.first_failed_at) > now.getTime() - limits.lockoutSeconds * 1000
      const failures = windowOpen ? row.failures + 1 : 1
      await saveLoginFailures(db, {
        email,
        failures,
        first_failed_at: windowOpen ? row.first_failed_at : now.toISOString(),
        locked_until:
          failures >= limits.maxFailures ? addSeconds(now, limits.lockoutSeconds).toISOString() : null,
      })
    },

    async reset(email) {
      await clearLoginFailures(db, email)
    },
  }
}

import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import { AppError } from '../http/errors.js'
import { addSeconds, type Clock } from '../lib/clock.js'
import { randomToken, sha256 } from '../lib/secrets.js'
import type { Mailer, MailMessage } from '../mail/mailer.js'
import { hashPassword } from './passwords.js'
import * as repo from './repository.js'
import { normalizeEmail } from './service.js'
import type { LoginThrottle } from './throttle.js'

export type PasswordReset = ReturnType<typeof createPasswordReset>

/** Where a failed delivery is reported (the request's logger). */
export interface ErrorLog {
  error(details: object, message: string): void
}

/** Forgot/reset: a single-use, expiring token sent by e-mail; only its hash is stored. */
export function createPasswordReset(deps: {
  db: Kysely<DB>
  clock: Clock
  mailer: Mailer
  throttle: LoginThrottle
  publicUrl: string
  ttlMinutes: number
}) {
  const { db, clock } = deps

  // Sent in the background: were the answer to wait for the SMTP round trip, a known e-mail would
  // answer later than an unknown one and tell who has an account. For the same reason a failed
  // delivery is logged (the user and the error, never the token), not answered.
  function sendInBackground(log: ErrorLog | undefined, userId: number, message: MailMessage): void {
    Promise.resolve()
      .then(() => deps.mailer.send(message))
      .catch((err: unknown) => {
        try {
          log?.error({ err, userId }, 'The password reset e-mail could not be sent')
        } catch {
          // Nothing is left to tell it to.
        }
      })
  }

  const invalid = () =>
    new AppError('INVALID_RESET_TOKEN', 'This password reset token is invalid or has expired.')

  return {
    /**
     * Answers the same, and as fast, whether or not the e-mail exists, so that it tells nobody who
     * has an account: the token is stored before it answers, the e-mail goes out after.
     */
    async forgot(emailInput: string, log?: ErrorLog): Promise<void> {
      const email = normalizeEmail(emailInput)
      const user = await repo.findUserByEmail(db, email)
      if (!user) return
      const token = randomToken(64)
      const now = clock.now()
      await repo.insertPasswordReset(db, {
        token_hash: sha256(token),
        user_id: user.id,
        expires_at: addSeconds(now, deps.ttlMinutes * 60).toISOString(),
        created_at: now.toISOString(),
      })
      const link = `${deps.publicUrl}/reset-password?token=${token}&email=${encodeURIComponent(email)}`
      sendInBackground(log, user.id, {
        to: email,
        subject: 'Reset your Zapini password',
        text: [
          `Hello ${user.name},`,
          '',
          'Someone asked to reset the password of your Zapini account. To choose a new one, open:',
          link,
          '',
          `Or send this token to POST /api/v1/auth/password/reset: ${token}`,
          '',
          `The token works once and expires in ${deps.ttlMinutes} minutes. If you did not ask for it, ignore this e-mail.`,
        ].join('\n'),
      })
    },

    /** Sets the new password and ends every session of the user. */
    async reset(input: { token: string; email: string; password: string }): Promise<void> {
      const hash = sha256(input.token)
      const row = await repo.findPasswordReset(db, hash)
      const now = clock.now()
      if (!row || row.used_at !== null || Date.parse(row.expires_at) <= now.getTime()) throw invalid()
      const user = await repo.findUserById(db, row.user_id)
      if (!user || user.email !== normalizeEmail(input.email)) throw invalid()
      const passwordHash = await hashPassword(input.password)
      await db.transaction().execute(async (trx) => {
        if (!(await repo.usePasswordReset(trx, hash, now.toISOString()))) throw invalid()
        await repo.updateUser(trx, user.id, { password_hash: passwordHash, updated_at: now.toISOString() })
        await repo.deleteUserTokens(trx, user.id)
      })
      await deps.throttle.reset(user.email)
    },
  }
}

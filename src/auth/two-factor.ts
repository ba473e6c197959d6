import type { Kysely } from 'kysely'
import { authenticator } from 'otplib'
import QRCode from 'qrcode'
import { bool, parseJson, toJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { UserAuth } from '../http/auth-context.js'
import { AppError, unauthenticated, validationError } from '../http/errors.js'
import type { Clock } from '../lib/clock.js'
import { type Cipher, randomToken, sha256 } from '../lib/secrets.js'
import { verifyPassword } from './passwords.js'
import { findUserById, updateUser } from './repository.js'
import type { User } from './table.js'

const STEP_SECONDS = 30
const RECOVERY_CODES = 8

export type TwoFactor = ReturnType<typeof createTwoFactor>

/**
 * TOTP (RFC 6238, 30 s steps, one step of drift either way) with one-time recovery codes.
 * A code is accepted once: the step it belongs to is remembered and older or equal steps are refused.
 */
export function createTwoFactor(deps: { db: Kysely<DB>; clock: Clock; cipher: Cipher; issuer: string }) {
  const { db, clock, cipher } = deps

  function totpAt() {
    return authenticator.clone({ epoch: clock.now().getTime(), window: 1, step: STEP_SECONDS })
  }

  /** The time step a code belongs to, or null when it matches none within the window. */
  function matchStep(secret: string, code: string): number | null {
    const delta = totpAt().checkDelta(code, secret)
    if (delta === null) return null
    return Math.floor(clock.now().getTime() / 1000 / STEP_SECONDS) + delta
  }

  async function acceptTotp(user: User, code: string): Promise<boolean> {
    if (!user.two_factor_secret || !/^\d{6}$/.test(code)) return false
    const step = matchStep(cipher.decrypt(user.two_factor_secret), code)
    if (step === null || (user.two_factor_last_step !== null && step <= Number(user.two_factor_last_step))) {
      return false
    }
    // The condition on the last step makes two concurrent uses of one code count once.
    const result = await db
      .updateTable('users')
      .set({ two_factor_last_step: step })
      .where('id', '=', user.id)
      .where((eb) => eb.or([eb('two_factor_last_step', 'is', null), eb('two_factor_last_step', '<', step)]))
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  async function acceptRecoveryCode(user: User, code: string): Promise<boolean> {
    const hash = sha256(code.trim().toLowerCase())
    // The list is written only if it is still the one just read, so that a code sent twice at once
    // is accepted once; a concurrent change of the list (another code used) makes it read again.
    for (let tries = 0; tries < 3; tries++) {
      const current = await findUserById(db, user.id)
      const hashes = parseJson<string[]>(current?.two_factor_recovery_codes, [])
      if (!hashes.includes(hash)) return false
      const result = await db
        .updateTable('users')
        .set({ two_factor_recovery_codes: toJson(hashes.filter((h) => h !== hash)) })
        .where('id', '=', user.id)
        .where('two_factor_recovery_codes', '=', toJson(hashes))
        .executeTakeFirst()
      if (Number(result.numUpdatedRows) === 1) return true
    }
    return false
  }

  async function currentUser(auth: UserAuth): Promise<User> {
    const user = await findUserById(db, auth.userId)
    if (!user) throw unauthenticated()
    return user
  }

  return {
    /** A login code: a current TOTP code or an unused recovery code. */
    async verifyLoginCode(user: User, code: string): Promise<boolean> {
      return (await acceptTotp(user, code.trim())) || acceptRecoveryCode(user, code)
    },

    /** Starts set-up: a new secret, kept but not active until a code confirms it. */
    async enable(auth: UserAuth) {
      const user = await currentUser(auth)
      if (bool(user.two_factor_enabled)) {
        throw new AppError('TWO_FACTOR_ALREADY_ENABLED', 'Two-factor login is already enabled.')
      }
      const secret = authenticator.generateSecret(20)
      await updateUser(db, user.id, {
        two_factor_secret: cipher.encrypt(secret),
        two_factor_last_step: null,
        updated_at: clock.now().toISOString(),
      })
      const otpauthUrl = authenticator.keyuri(user.email, deps.issuer, secret)
      return { secret, otpauth_url: otpauthUrl, qr_code: await QRCode.toDataURL(otpauthUrl) }
    },

    async confirm(auth: UserAuth, code: string) {
      const user = await currentUser(auth)
      if (bool(user.two_factor_enabled)) {
        throw new AppError('TWO_FACTOR_ALREADY_ENABLED', 'Two-factor login is already enabled.')
      }
      if (!user.two_factor_secret) {
        throw new AppError('TWO_FACTOR_NOT_ENABLED', 'Start with POST /auth/two-factor/enable first.')
      }
      if (!(await acceptTotp(user, code))) throw validationError('code', 'The code is invalid.')
      const codes = Array.from({ length: RECOVERY_CODES }, () =>
        `${randomToken(5)}-${randomToken(5)}`.toLowerCase(),
      )
      const at = clock.now().toISOString()
      await updateUser(db, user.id, {
        two_factor_enabled: true,
        two_factor_confirmed_at: at,
        two_factor_recovery_codes: toJson(codes.map((c) => sha256(c))),
        updated_at: at,
      })
      return { two_factor_enabled: true, recovery_codes: codes }
    },

    async disable(auth: UserAuth, input: { password: string; code: string }) {
      const user = await currentUser(auth)
      if (!bool(user.two_factor_enabled)) {
        throw new AppError('TWO_FACTOR_NOT_ENABLED', 'Two-factor login is not enabled.')
      }
      if (!(await verifyPassword(user.password_hash, input.password))) {
        throw validationError('password', 'The password is incorrect.')
      }
      if (!(await acceptTotp(user, input.code)) && !(await acceptRecoveryCode(user, input.code))) {
        throw validationError('code', 'The code is invalid.')
      }
      await updateUser(db, user.id, {
        two_factor_enabled: false,
        two_factor_secret: null,
        two_factor_confirmed_at: null,
        two_factor_last_step: null,
        two_factor_recovery_codes: null,
        updated_at: clock.now().toISOString(),
      })
      return { two_factor_enabled: false }
    },
  }
}

import type { Kysely } from 'kysely'
import { bool } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { AuthContext, UserAuth } from '../http/auth-context.js'
import { AppError, notFound, unauthenticated, validationError } from '../http/errors.js'
import { addSeconds, type Clock } from '../lib/clock.js'
import { newUuid } from '../lib/ids.js'
import { randomToken, safeEqual, sha256 } from '../lib/secrets.js'
import { hashPassword, verifyAgainstNothing, verifyPassword } from './passwords.js'
import * as repo from './repository.js'
import type { User } from './table.js'
import type { LoginThrottle } from './throttle.js'
import type { TwoFactor } from './two-factor.js'

export interface ClientInfo {
  ip: string | null
  userAgent: string | null
  deviceName?: string | undefined
}

export interface IssuedToken {
  token: string
  token_type: 'Bearer'
  expires_at: string | null
}

export const LOCALES = ['en', 'pt-BR', 'es'] as const
const TIME_ZONES = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC'])

export function isTimeZone(value: string): boolean {
  return TIME_ZONES.has(value)
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** Names are stored trimmed; one of blanks only would be stored empty. */
function assertName(name: string | undefined): void {
  if (name !== undefined && name.trim() === '') throw validationError('name', 'The name field is required.')
}

export interface AuthServiceDeps {
  db: Kysely<DB>
  clock: Clock
  throttle: LoginThrottle
  twoFactor: TwoFactor
  registrationEnabled: boolean
  tokenTtlDays: number
}

export type AuthService = ReturnType<typeof createAuthService>

export function createAuthService(deps: AuthServiceDeps) {
  const { db, clock, throttle, twoFactor } = deps
  const now = () => clock.now().toISOString()
  const hot = repo.createHotQueries(db)

  async function presentUser(user: User) {
    const tenant = await repo.findTenant(db, user.tenant_id)
    return present(user, tenant ?? null)
  }

  function present(user: User, tenant: { id: number; uuid: string; name: string; status: string } | null) {
    return {
      id: user.id,
      uuid: user.uuid,
      name: user.name,
      email: user.email,
      role: user.role,
      locale: user.locale,
      timezone: user.timezone,
      email_verified: user.email_verified_at !== null,
      two_factor_enabled: bool(user.two_factor_enabled),
      tenant,
      created_at: user.created_at,
    }
  }

  async function issueToken(executor: Kysely<DB>, user: User, client: ClientInfo): Promise<IssuedToken> {
    const secret = randomToken(40)
    const expiresAt =
      deps.tokenTtlDays > 0 ? addSeconds(clock.now(), deps.tokenTtlDays * 86_400).toISOString() : null
    const id = await repo.insertUserToken(executor, {
      uuid: newUuid(),
      tenant_id: user.tenant_id,
      user_id: user.id,
      name: sessionName(client),
      token_hash: sha256(secret),
      ip: client.ip,
      user_agent: client.userAgent?.slice(0, 512) ?? null,
      last_used_at: null,
      expires_at: expiresAt,
      created_at: now(),
    })
    return { token: `${id}|${secret}`, token_type: 'Bearer', expires_at: expiresAt }
  }

  async function userOf(auth: UserAuth): Promise<User> {
    const user = await repo.findUserById(db, auth.userId)
    if (!user) throw unauthenticated()
    return user
  }

  /** Checks e-mail and password, counting failures; answers the user or throws 401. */
  async function checkCredentials(emailInput: string, password: string): Promise<User> {
    const email = normalizeEmail(emailInput)
    await throttle.assertAllowed(email)
    const user = await repo.findUserByEmail(db, email)
    const valid = user
      ? await verifyPassword(user.password_hash, password)
      : await verifyAgainstNothing(password)
    if (!user || !valid) {
      await throttle.recordFailure(email)
      throw new AppError('INVALID_CREDENTIALS', 'These credentials do not match our records.')
    }
    const tenant = await repo.findTenant(db, user.tenant_id)
    if (tenant?.status !== 'active') throw new AppError('FORBIDDEN', 'This account is suspended.')
    return user
  }

  async function loggedIn(user: User, client: ClientInfo) {
    await throttle.reset(user.email)
    const token = await issueToken(db, user, client)
    return { user: await presentUser(user), ...token }
  }

  /**
   * A user with a new tenant (as its admin), or a member of an existing tenant.
   * Registration and the `user:create` command both come here.
   */
  async function createAccount(input: {
    name: string
    email: string
    password: string
    role: 'admin' | 'member'
    tenant_name?: string | undefined
    tenant_id?: number | undefined
  }): Promise<User> {
    assertName(input.name)
    const email = normalizeEmail(input.email)
    if (await repo.findUserByEmail(db, email))
      throw validationError('email', 'The email has already been taken.')
    const passwordHash = await hashPassword(input.password)
    return db.transaction().execute(async (trx) => {
      const at = now()
      const tenantId =
        input.tenant_id ??
        (await repo.insertTenant(trx, {
          uuid: newUuid(),
          name: input.tenant_name?.trim() || `${input.name.trim()}'s workspace`,
          status: 'active',
          created_at: at,
          updated_at: at,
        }))
      const userId = await repo.insertUser(trx, {
        uuid: newUuid(),
        tenant_id: tenantId,
        name: input.name.trim(),
        email,
        password_hash: passwordHash,
        role: input.role,
        email_verified_at: null,
        two_factor_secret: null,
        two_factor_last_step: null,
        two_factor_recovery_codes: null,
        created_at: at,
        updated_at: at,
      })
      return (await repo.findUserById(trx, userId))!
    })
  }

  return {
    presentUser,
    createAccount,

    /** A token for a user found by e-mail, for scripted set-ups (`zapini token:create`). */
    async issueTokenFor(email: string, name: string): Promise<IssuedToken> {
      const user = await repo.findUserByEmail(db, normalizeEmail(email))
      if (!user) throw notFound('User')
      return issueToken(db, user, { ip: null, userAgent: null, deviceName: name })
    },

    async register(
      input: { name: string; email: string; password: string; tenant_name?: string | undefined },
      client: ClientInfo,
    ) {
      if (!deps.registrationEnabled) {
        throw new AppError('REGISTRATION_DISABLED', 'Registration is turned off on this server.')
      }
      const user = await createAccount({ ...input, role: 'admin' })
      return loggedIn(user, client)
    },

    /** Answers the token, or `null` when the user has two-factor login on and must send a code. */
    async login(input: { email: string; password: string }, client: ClientInfo) {
      return throttle.exclusive(normalizeEmail(input.email), async () => {
        const user = await checkCredentials(input.email, input.password)
        if (bool(user.two_factor_enabled)) return null
        return loggedIn(user, client)
      })
    },

    async loginWithTwoFactor(input: { email: string; password: string; code: string }, client: ClientInfo) {
      return throttle.exclusive(normalizeEmail(input.email), async () => {
        const user = await checkCredentials(input.email, input.password)
        if (!bool(user.two_factor_enabled)) {
          throw new AppError('TWO_FACTOR_NOT_ENABLED', 'Two-factor login is not enabled for this account.')
        }
        if (!(await twoFactor.verifyLoginCode(user, input.code))) {
          await throttle.recordFailure(user.email)
          throw new AppError('INVALID_TWO_FACTOR_CODE', 'The two-factor code is invalid or was already used.')
        }
        return loggedIn(user, client)
      })
    },

    async me(auth: UserAuth) {
      const [row] = await hot.userWithTenant(auth.userId)
      if (!row) throw unauthenticated()
      return present(row, {
        id: row.tenant_id,
        uuid: row.tenant_uuid,
        name: row.tenant_name,
        status: row.tenant_status,
      })
    },

    async updateMe(auth: UserAuth, patch: { name?: string; locale?: string; timezone?: string }) {
      assertName(patch.name)
      if (patch.timezone !== undefined && !isTimeZone(patch.timezone)) {
        throw validationError(
          'timezone',
          'The timezone field must be a valid IANA time zone (e.g. America/Sao_Paulo).',
        )
      }
      await repo.updateUser(db, auth.userId, {
        ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
        ...(patch.locale !== undefined ? { locale: patch.locale } : {}),
        ...(patch.timezone !== undefined ? { timezone: patch.timezone } : {}),
        updated_at: now(),
      })
      return presentUser(await userOf(auth))
    },

    async logout(auth: UserAuth): Promise<void> {
      await repo.deleteUserToken(db, auth.userId, auth.tokenId)
    },

    async logoutAll(auth: UserAuth): Promise<number> {
      return repo.deleteUserTokens(db, auth.userId)
    },

    /** A new token replaces the caller's; the old one stops working at once. */
    async refresh(auth: UserAuth, client: ClientInfo): Promise<IssuedToken> {
      const user = await userOf(auth)
      return db.transaction().execute(async (trx) => {
        const previous = await repo.findUserToken(trx, user.id, auth.tokenId)
        if (!previous || !(await repo.deleteUserToken(trx, user.id, auth.tokenId))) throw unauthenticated()
        // The session keeps its name (the device_name given at login) under its new token.
        return issueToken(trx, user, { ...client, deviceName: previous.name })
      })
    },

    async listSessions(auth: UserAuth) {
      const rows = await repo.listUserTokens(db, auth.userId)
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        ip: row.ip,
        user_agent: row.user_agent,
        last_used_at: row.last_used_at,
        created_at: row.created_at,
        expires_at: row.expires_at,
        is_current: row.id === auth.tokenId,
      }))
    },

    async revokeSession(auth: UserAuth, sessionId: number): Promise<void> {
      if (!(await repo.deleteUserToken(db, auth.userId, sessionId))) throw notFound('Session')
    },

    /** Changing the password ends every other session of the user. */
    async changePassword(auth: UserAuth, input: { current_password: string; password: string }) {
      const user = await userOf(auth)
      if (!(await verifyPassword(user.password_hash, input.current_password))) {
        throw validationError('current_password', 'The current password is incorrect.')
      }
      const passwordHash = await hashPassword(input.password)
      await db.transaction().execute(async (trx) => {
        await repo.updateUser(trx, user.id, { password_hash: passwordHash, updated_at: now() })
        await repo.deleteUserTokens(trx, user.id, auth.tokenId)
      })
    },

    /** Resolves a `{id}|{secret}` bearer token; null when unknown, revoked or expired. */
    async resolveToken(token: string): Promise<AuthContext | null> {
      const bar = token.indexOf('|')
      if (bar < 1) return null
      const idText = token.slice(0, bar)
      // Ten digits can exceed a 32-bit integer column, which PostgreSQL refuses with an error.
      if (!/^\d{1,10}$/.test(idText) || Number(idText) > 2_147_483_647) return null
      const [row] = await hot.tokenForAuth(Number(idText))
      if (!row || !safeEqual(row.token_hash, sha256(token.slice(bar + 1)))) return null
      const at = clock.now()
      if (row.expires_at && Date.parse(row.expires_at) <= at.getTime()) return null
      if (row.tenant_status !== 'active') return null
      // Writing on every request would make each read a write; a minute's precision is plenty.
      if (!row.last_used_at || Date.parse(row.last_used_at) < at.getTime() - 60_000) {
        await repo.touchUserToken(db, row.id, at.toISOString())
      }
      return {
        kind: 'user',
        tenantId: row.tenant_id,
        userId: row.user_id,
        userName: row.user_name,
        role: row.role,
        tokenId: row.id,
        instanceId: null,
      }
    },
  }
}

function sessionName(client: ClientInfo): string {
  const name = client.deviceName?.trim() || describeUserAgent(client.userAgent)
  return name.slice(0, 255)
}

/** "Chrome - Windows" from a browser's User-Agent; the raw agent for anything else. */
export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return 'API'
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrome\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : null
  const os = /Windows/.test(userAgent)
    ? 'Windows'
    : /Android/.test(userAgent)
      ? 'Android'
      : /iPhone|iPad/.test(userAgent)
        ? 'iOS'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : null
  if (browser && os) return `${browser} - ${os}`
  return userAgent.slice(0, 100)
}

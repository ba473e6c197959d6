import type { Insertable, Kysely, Updateable } from 'kysely'
import { preparedQuery } from '../db/prepared.js'
import type { DB } from '../db/schema.js'
import type { TenantsTable, UsersTable, UserTokensTable } from './table.js'

type Db = Kysely<DB>

const USER_COLUMNS = [
  'users.id',
  'users.uuid',
  'users.tenant_id',
  'users.name',
  'users.email',
  'users.password_hash',
  'users.role',
  'users.locale',
  'users.timezone',
  'users.email_verified_at',
  'users.two_factor_secret',
  'users.two_factor_enabled',
  'users.two_factor_confirmed_at',
  'users.two_factor_last_step',
  'users.two_factor_recovery_codes',
  'users.created_at',
  'users.updated_at',
] as const

export async function insertTenant(db: Db, row: Insertable<TenantsTable>): Promise<number> {
  const { id } = await db.insertInto('tenants').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

export async function findTenant(db: Db, id: number) {
  return db
    .selectFrom('tenants')
    .select(['id', 'uuid', 'name', 'status'])
    .where('id', '=', id)
    .executeTakeFirst()
}

export async function insertUser(db: Db, row: Insertable<UsersTable>): Promise<number> {
  const { id } = await db.insertInto('users').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

export async function findUserByEmail(db: Db, email: string) {
  return db.selectFrom('users').select(USER_COLUMNS).where('email', '=', email).executeTakeFirst()
}

export async function findUserById(db: Db, id: number) {
  return db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst()
}

export async function updateUser(db: Db, id: number, patch: Updateable<UsersTable>): Promise<void> {
  await db.updateTable('users').set(patch).where('id', '=', id).execute()
}

export async function insertUserToken(db: Db, row: Insertable<UserTokensTable>): Promise<number> {
  const { id } = await db.insertInto('user_tokens').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

const AUTH_TABLES = ['user_tokens', 'users', 'tenants'] as const

/** The queries every authenticated request runs, compiled once (see preparedQuery). */
export function createHotQueries(db: Db) {
  return {
    tokenForAuth: preparedQuery(db, (tokenId: number) => tokenForAuthQuery(db, tokenId), 1, {
      cacheUntilChangeOf: AUTH_TABLES,
    }),
    userWithTenant: preparedQuery(db, (userId: number) => userWithTenantQuery(db, userId), 1, {
      cacheUntilChangeOf: AUTH_TABLES,
    }),
  }
}

export type HotQueries = ReturnType<typeof createHotQueries>

function userWithTenantQuery(db: Db, userId: number) {
  return db
    .selectFrom('users')
    .innerJoin('tenants', 'tenants.id', 'users.tenant_id')
    .select(USER_COLUMNS)
    .select(['tenants.uuid as tenant_uuid', 'tenants.name as tenant_name', 'tenants.status as tenant_status'])
    .where('users.id', '=', userId)
}

/** A token with what authentication needs of its user and tenant, in one query. */
function tokenForAuthQuery(db: Db, tokenId: number) {
  return db
    .selectFrom('user_tokens')
    .innerJoin('users', 'users.id', 'user_tokens.user_id')
    .innerJoin('tenants', 'tenants.id', 'user_tokens.tenant_id')
    .select([
      'user_tokens.id',
      'user_tokens.token_hash',
      'user_tokens.expires_at',
      'user_tokens.last_used_at',
      'user_tokens.user_id',
      'user_tokens.tenant_id',
      'users.name as user_name',
      'users.role',
      'tenants.status as tenant_status',
    ])
    .where('user_tokens.id', '=', tokenId)
}

export async function touchUserToken(db: Db, tokenId: number, at: string): Promise<void> {
  await db.updateTable('user_tokens').set({ last_used_at: at }).where('id', '=', tokenId).execute()
}

export async function listUserTokens(db: Db, userId: number) {
  return db
    .selectFrom('user_tokens')
    .select(['id', 'name', 'ip', 'user_agent', 'last_used_at', 'expires_at', 'created_at'])
    .where('user_id', '=', userId)
    .orderBy('id', 'desc')
    .execute()
}

export async function findUserToken(db: Db, userId: number, tokenId: number) {
  return db
    .selectFrom('user_tokens')
    .select(['id', 'name'])
    .where('user_id', '=', userId)
    .where('id', '=', tokenId)
    .executeTakeFirst()
}

/** Deletes one of the user's tokens; answers whether it existed. */
export async function deleteUserToken(db: Db, userId: number, tokenId: number): Promise<boolean> {
  const result = await db
    .deleteFrom('user_tokens')
    .where('user_id', '=', userId)
    .where('id', '=', tokenId)
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

export async function deleteUserTokens(db: Db, userId: number, exceptTokenId?: number): Promise<number> {
  let query = db.deleteFrom('user_tokens').where('user_id', '=', userId)
  if (exceptTokenId !== undefined) query = query.where('id', '!=', exceptTokenId)
  const result = await query.executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function insertPasswordReset(
  db: Db,
  row: { token_hash: string; user_id: number; expires_at: string; created_at: string },
): Promise<void> {
  await db.insertInto('password_resets').values(row).execute()
}

export async function findPasswordReset(db: Db, tokenHash: string) {
  return db
    .selectFrom('password_resets')
    .select(['token_hash', 'user_id', 'expires_at', 'used_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst()
}

/** Marks a reset token used unless it already was; answers whether this call used it. */
export async function usePasswordReset(db: Db, tokenHash: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('password_resets')
    .set({ used_at: at })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function findLoginFailures(db: Db, email: string) {
  return db
    .selectFrom('login_failures')
    .select(['email', 'failures', 'first_failed_at', 'locked_until'])
    .where('email', '=', email)
    .executeTakeFirst()
}

export async function saveLoginFailures(
  db: Db,
  row: { email: string; failures: number; first_failed_at: string; locked_until: string | null },
): Promise<void> {
  await db
    .insertInto('login_failures')
    .values(row)
    .onConflict((oc) =>
      oc.column('email').doUpdateSet({
        failures: row.failures,
        first_failed_at: row.first_failed_at,
        locked_until: row.locked_until,
      }),
    )
    .execute()
}

export async function clearLoginFailures(db: Db, email: string): Promise<void> {
  await db.deleteFrom('login_failures').where('email', '=', email).execute()
}

import type { ColumnType, Generated, Selectable } from 'kysely'

type Timestamp = string
type Bool = ColumnType<boolean, boolean | undefined, boolean>

export interface TenantsTable {
  id: Generated<number>
  uuid: string
  name: string
  status: ColumnType<string, string | undefined, string>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface UsersTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  name: string
  email: string
  password_hash: string
  role: 'admin' | 'member'
  locale: ColumnType<string, string | undefined, string>
  timezone: ColumnType<string, string | undefined, string>
  email_verified_at: Timestamp | null
  /** AES-256-GCM encrypted with the app key. */
  two_factor_secret: string | null
  two_factor_enabled: Bool
  two_factor_confirmed_at: Timestamp | null
  /** The last accepted TOTP time step, so that one code can't be used twice. */
  two_factor_last_step: number | null
  /** SHA-256 hashes of the unused recovery codes (JSON array). */
  two_factor_recovery_codes: unknown | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface UserTokensTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  user_id: number
  name: string
  token_hash: string
  ip: string | null
  user_agent: string | null
  last_used_at: Timestamp | null
  expires_at: Timestamp | null
  created_at: Timestamp
}

export interface PasswordResetsTable {
  token_hash: string
  user_id: number
  expires_at: Timestamp
  used_at: Timestamp | null
  created_at: Timestamp
}

export interface LoginFailuresTable {
  email: string
  failures: number
  first_failed_at: Timestamp
  locked_until: Timestamp | null
}

export type Tenant = Selectable<TenantsTable>
export type User = Selectable<UsersTable>
export type UserToken = Selectable<UserTokensTable>

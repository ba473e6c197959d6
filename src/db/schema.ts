import type {
  LoginFailuresTable,
  PasswordResetsTable,
  TenantsTable,
  UsersTable,
  UserTokensTable,
} from '../auth/table.js'
import type { InstancesTable, InstanceTokensTable } from '../instances/table.js'

/** Every table, as Kysely sees it; each table's type lives beside its domain. */
export interface DB {
  tenants: TenantsTable
  users: UsersTable
  user_tokens: UserTokensTable
  password_resets: PasswordResetsTable
  login_failures: LoginFailuresTable
  instances: InstancesTable
  instance_tokens: InstanceTokensTable
}

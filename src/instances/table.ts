import type { ColumnType, Generated, Selectable } from 'kysely'

type Timestamp = string

export interface InstancesTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  name: string
  engine: 'baileys' | 'sandbox'
  status: ColumnType<string, string | undefined, string>
  phone_number: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface InstanceTokensTable {
  id: Generated<number>
  uuid: string
  tenant_id: number
  instance_id: number
  name: string
  token_hash: string
  /** The last characters of the secret, so that a user can tell tokens apart. */
  token_hint: string
  last_used_at: Timestamp | null
  created_at: Timestamp
}

export type Instance = Selectable<InstancesTable>
export type InstanceToken = Selectable<InstanceTokensTable>

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
  daily_limit: ColumnType<number, number | undefined, number>
  send_delay_min: ColumnType<number, number | undefined, number>
  send_delay_max: ColumnType<number, number | undefined, number>
  settings: unknown | null
  profile_name: string | null
  platform: string | null
  jid: string | null
  last_error: string | null
  qr_code_text: string | null
  qr_generated_at: Timestamp | null
  qr_expires_at: Timestamp | null
  connected_at: Timestamp | null
  disconnected_at: Timestamp | null
  last_heartbeat_at: Timestamp | null
  last_activity_at: Timestamp | null
  /** Whether the instance should hold a connection; the process owning it connects it. */
  desired_connected: ColumnType<boolean, boolean | undefined, boolean>
  /** The process holding the connection, and until when its lease runs. */
  owner_id: string | null
  lease_expires_at: Timestamp | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface InstanceAuthCredsTable {
  instance_id: number
  creds: string
  updated_at: Timestamp
}

export interface InstanceAuthKeysTable {
  instance_id: number
  type: string
  key_id: string
  value: string
}

export interface LidMappingsTable {
  instance_id: number
  lid: string
  phone: string
  updated_at: Timestamp
}

export interface ClusterNodesTable {
  id: string
  address: string | null
  started_at: Timestamp
  heartbeat_at: Timestamp
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

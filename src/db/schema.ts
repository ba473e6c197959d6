import type {
  LoginFailuresTable,
  PasswordResetsTable,
  TenantsTable,
  UsersTable,
  UserTokensTable,
} from '../auth/table.js'
import type {
  AutomationFlowsTable,
  AutomationIntegrationsTable,
  AutomationLogsTable,
  AutomationRunsTable,
} from '../automation/table.js'
import type { CalendarAppointmentsTable } from '../calendar/table.js'
import type { ContactsTable } from '../contacts/table.js'
import type { ConversationsTable } from '../conversations/table.js'
import type { EventCursorsTable, EventsTable } from '../events/table.js'
import type {
  ClusterNodesTable,
  InstanceAuthCredsTable,
  InstanceAuthKeysTable,
  InstancesTable,
  InstanceTokensTable,
  LidMappingsTable,
} from '../instances/table.js'
import type {
  KanbanActivitiesTable,
  KanbanBoardsTable,
  KanbanColumnsTable,
  KanbanLeadsTable,
  KanbanLeadTagsTable,
} from '../kanban/table.js'
import type { MediaTable } from '../media/table.js'
import type { MessageReactionsTable, MessagesTable, MessageUsageTable } from '../messages/table.js'
import type { SandboxRecordsTable } from '../sandbox/table.js'
import type { TenantAiSettingsTable } from '../settings/table.js'
import type { ConversationTagsTable, TagsTable } from '../tags/table.js'
import type {
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhooksTable,
  WorkerSecretsTable,
} from '../webhooks/table.js'

/** Every table, as Kysely sees it; each table's type lives beside its domain. */
export interface DB {
  tenants: TenantsTable
  users: UsersTable
  user_tokens: UserTokensTable
  password_resets: PasswordResetsTable
  login_failures: LoginFailuresTable
  instances: InstancesTable
  instance_tokens: InstanceTokensTable
  instance_auth_creds: InstanceAuthCredsTable
  instance_auth_keys: InstanceAuthKeysTable
  lid_mappings: LidMappingsTable
  cluster_nodes: ClusterNodesTable
  events: EventsTable
  event_cursors: EventCursorsTable
  contacts: ContactsTable
  conversations: ConversationsTable
  messages: MessagesTable
  message_reactions: MessageReactionsTable
  tags: TagsTable
  conversation_tags: ConversationTagsTable
  message_usage: MessageUsageTable
  media: MediaTable
  sandbox_records: SandboxRecordsTable
  webhooks: WebhooksTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_attempts: WebhookAttemptsTable
  worker_secrets: WorkerSecretsTable
  tenant_ai_settings: TenantAiSettingsTable
  kanban_boards: KanbanBoardsTable
  kanban_columns: KanbanColumnsTable
  kanban_leads: KanbanLeadsTable
  kanban_lead_tags: KanbanLeadTagsTable
  kanban_activities: KanbanActivitiesTable
  calendar_appointments: CalendarAppointmentsTable
  automation_flows: AutomationFlowsTable
  automation_integrations: AutomationIntegrationsTable
  automation_runs: AutomationRunsTable
  automation_logs: AutomationLogsTable
}

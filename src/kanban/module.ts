import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Kysely } from 'kysely'
import type { ContactService } from '../contacts/service.js'
import type { ConversationService } from '../conversations/service.js'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import type { Clock } from '../lib/clock.js'
import type { AiSettingsService } from '../settings/service.js'
import { boardRoutes } from './board-routes.js'
import { createBoardService } from './board-service.js'
import { leadRoutes } from './lead-routes.js'
import { createLeadService } from './lead-service.js'
import { createQualifier } from './qualify.js'

export type KanbanModule = ReturnType<typeof createKanban>
export type Qualifier = ReturnType<typeof createQualifier>

/** The kanban pipeline: boards and columns, leads with their timeline, AI qualification. */
export function createKanban(deps: {
  db: Kysely<DB>
  clock: Clock
  contacts: Pick<ContactService, 'find'>
  conversations: Pick<ConversationService, 'find'>
  ai: Pick<AiSettingsService, 'clientFor'>
  /** Reads a datetime filter that may lack an offset, in the caller's time zone. */
  instant: (auth: AuthContext, value: string, field: string, endOfDay?: boolean) => Promise<string>
}) {
  const boards = createBoardService({ db: deps.db, clock: deps.clock })
  const leads = createLeadService({ ...deps, boards })
  const qualifier = createQualifier({ db: deps.db, clock: deps.clock, ai: deps.ai, leads })
  return { boards, leads, qualifier }
}

export const kanbanRoutes: FastifyPluginAsyncTypebox<{ kanban: KanbanModule }> = async (app, { kanban }) => {
  await app.register(boardRoutes, { boards: kanban.boards, leads: kanban.leads })
  await app.register(leadRoutes, { leads: kanban.leads, qualifier: kanban.qualifier })
}

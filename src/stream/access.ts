import type { AuthContext } from '../http/auth-context.js'
import { notFound, unauthenticated, validationError } from '../http/errors.js'
import type { InstanceService } from '../instances/service.js'
import { expandEvents, SUBSCRIBABLE, unknownEvents } from '../webhooks/events.js'
import type { StreamScope } from './hub.js'

export interface StreamResolvers {
  userToken(token: string): Promise<AuthContext | null>
  instanceToken(token: string): Promise<AuthContext | null>
  instanceInTenant(instanceId: number, tenantId: number): Promise<boolean>
  instances: InstanceService
}

/**
 * Who opens a stream and what it may see. Browsers cannot set headers on a WebSocket, so the
 * token may also come as `?token=` (the logger keeps it out of the logs). The rules are those of
 * every request: an sk_ token or an instance host sees one instance, a user token its tenant.
 */
export async function streamScope(
  resolvers: StreamResolvers,
  request: {
    token: string | null
    instanceHostId: number | null
    instance?: string | undefined
    events?: string | undefined
  },
): Promise<StreamScope> {
  const { token } = request
  if (!token) throw unauthenticated('Authentication required: send Authorization: Bearer <token> or ?token=')
  const auth = token.startsWith('sk_')
    ? await resolvers.instanceToken(token)
    : await resolvers.userToken(token)
  if (!auth) throw unauthenticated()
  const hostId = request.instanceHostId
  if (hostId !== null) {
    if (auth.kind === 'instance' && auth.instanceId !== hostId) throw notFound('Instance')
    if (auth.kind === 'user' && !(await resolvers.instanceInTenant(hostId, auth.tenantId))) {
      throw notFound('Instance')
    }
    auth.instanceId = hostId
  }

  const names = (request.events ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  const unknown = unknownEvents(names)
  if (unknown.length > 0) {
    throw validationError(
      'events',
      `Unknown event(s): ${unknown.join(', ')}. Known: ${SUBSCRIBABLE.join(', ')}.`,
    )
  }

  const pinned =
    request.instance || auth.instanceId !== null
      ? await resolvers.instances.find(auth, request.instance ?? { id: auth.instanceId! })
      : null
  return {
    tenantId: auth.tenantId,
    instanceId: pinned?.id ?? null,
    instanceUuid: pinned?.uuid ?? null,
    filter: expandEvents(names),
  }
}

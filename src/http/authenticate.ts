import type { FastifyInstance, FastifyReply, FastifyRequest, RequestPayload } from 'fastify'
import type { AuthContext, RouteAuth } from './auth-context.js'
import { AppError, forbidden, notFound, unauthenticated } from './errors.js'
import { wasForwarded } from './forward.js'
import { parseInstanceHost } from './host.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; `any` when absent. */
    auth?: RouteAuth
  }
  interface FastifyRequest {
    auth: AuthContext | null
    /** The instance named by the instance host, if the request came through one. */
    instanceHostId: number | null
    bearerToken: string | null
  }
}

export interface TokenResolvers {
  /** Resolves a `{id}|{secret}` user token, or null when unknown, revoked or expired. */
  userToken(token: string, request: FastifyRequest): Promise<AuthContext | null>
  /** Resolves an `sk_…` instance token, or null. */
  instanceToken(token: string): Promise<AuthContext | null>
  /** Whether the instance exists in the tenant (for a user token on an instance host). */
  instanceInTenant(instanceId: number, tenantId: number): Promise<boolean>
}

export function bearerOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization
  if (!header) return null
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1] ?? null
}

/** Authenticates every request once, by what the route declares in `config.auth`. */
export function registerAuthentication(
  app: FastifyInstance,
  baseDomain: string,
  resolvers: TokenResolvers,
): void {
  app.decorateRequest('auth', null)
  app.decorateRequest('instanceHostId', null)
  app.decorateRequest('bearerToken', null)

  // Each route gets the hook its `config.auth` calls for, decided once when the route is added.
  // preParsing runs after every onRequest hook, the rate limiter's included, so that guessing
  // tokens is rate limited too, and before the body is read.
  app.addHook('onRoute', (route) => {
    const needs: RouteAuth = route.config?.auth ?? 'any'
    const hook = needs === 'public' ? identifyCaller : authenticateFor(needs)
    route.preParsing = [hook, ...(route.preParsing ? [route.preParsing].flat() : [])]
  })

  function identifyCaller(
    request: FastifyRequest,
    _reply: FastifyReply,
    payload: RequestPayload,
    done: (error: Error | null, payload?: RequestPayload) => void,
  ): void {
    request.instanceHostId = parseInstanceHost(request.headers.host, baseDomain)
    request.bearerToken = bearerOf(request)
    done(null, payload)
  }

  function authenticateFor(needs: Exclude<RouteAuth, 'public'>) {
    return async (request: FastifyRequest, _reply: FastifyReply, payload: RequestPayload) => {
      const hostId = parseInstanceHost(request.headers.host, baseDomain)
      const token = bearerOf(request)
      request.instanceHostId = hostId
      request.bearerToken = token
      if (!token) throw unauthenticated('Authentication required: send Authorization: Bearer <token>')
      const auth = token.startsWith('sk_')
        ? await resolvers.instanceToken(token)
        : await resolvers.userToken(token, request)
      if (!auth) throw unauthenticated()

      if (hostId !== null) {
        if (auth.kind === 'instance' && auth.instanceId !== hostId) throw notFound('Instance')
        if (auth.kind === 'user') {
          if (!(await resolvers.instanceInTenant(hostId, auth.tenantId))) throw notFound('Instance')
          auth.instanceId = hostId
        }
      }
      if (needs === 'user' && auth.kind !== 'user') {
        throw forbidden('This endpoint needs a user token; instance tokens (sk_) cannot use it')
      }
      if (wasForwarded(request)) auth.forwarded = true
      request.auth = auth
      return payload
    }
  }
}

/** The caller of an authenticated route (the hook guarantees it is set). */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new AppError('UNAUTHENTICATED', 'Authentication required')
  return request.auth
}

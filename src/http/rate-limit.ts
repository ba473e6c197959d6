import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { sha256 } from '../lib/secrets.js'
import { bearerOf } from './authenticate.js'
import { AppError } from './errors.js'
import type { ForwardingSeal } from './forward.js'

function exceeded(_request: unknown, context: { after: string; ttl: number }) {
  const retryAfter = Math.max(1, Math.ceil(context.ttl / 1000))
  return new AppError(
    'RATE_LIMIT_EXCEEDED',
    `Too many requests. Try again in ${context.after}.`,
    { retry_after: retryAfter },
    { headers: { 'retry-after': String(retryAfter) } },
  )
}

/**
 * Per client IP (DECISIONS §3) and, when configured, per bearer token as well.
 * Routes opt out with `config: { rateLimit: false }` (/health, /metrics).
 */
export async function registerRateLimits(
  app: FastifyInstance,
  limits: { max: number; windowSeconds: number; tokenMax: number },
  forwarding: ForwardingSeal,
): Promise<void> {
  const timeWindow = limits.windowSeconds * 1000
  // A request another process of this server forwarded was counted, for its client, where it
  // arrived; counted again here, a whole cluster's traffic would land on that process's address.
  const forwardedByUs = (request: FastifyRequest) => forwarding.clientOf(request) !== null
  if (limits.max > 0) {
    await app.register(rateLimit, {
      global: true,
      max: limits.max,
      timeWindow,
      keyGenerator: (request) => request.ip,
      allowList: (request) => forwardedByUs(request),
      errorResponseBuilder: exceeded,
    })
  }
  if (limits.tokenMax > 0) {
    await app.register(rateLimit, {
      global: true,
      max: limits.tokenMax,
      timeWindow,
      nameSpace: 'token-ratelimit-',
      // Requests without a token are covered by the per-IP limit alone.
      allowList: (request) => bearerOf(request) === null || forwardedByUs(request),
      keyGenerator: (request) => sha256(bearerOf(request) ?? ''),
      errorResponseBuilder: exceeded,
    })
  }
}

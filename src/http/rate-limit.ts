import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import { sha256 } from '../lib/secrets.js'
import { bearerOf } from './authenticate.js'
import { AppError } from './errors.js'

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
): Promise<void> {
  const timeWindow = limits.windowSeconds * 1000
  if (limits.max > 0) {
    await app.register(rateLimit, {
      global: true,
      max: limits.max,
      timeWindow,
      keyGenerator: (request) => request.ip,
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
      allowList: (request) => bearerOf(request) === null,
      keyGenerator: (request) => sha256(bearerOf(request) ?? ''),
      errorResponseBuilder: exceeded,
    })
  }
}

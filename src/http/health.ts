import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { Clock } from '../lib/clock.js'

const Health = Type.Object({
  status: Type.Literal('ok'),
  uptime: Type.Number({ description: 'Seconds since the server started' }),
  timestamp: Type.String({ format: 'date-time' }),
})

/** `GET /health` answers on every host, without authentication and without rate limiting. */
export function registerHealth(app: FastifyInstance, clock: Clock): void {
  const startedAt = clock.now().getTime()
  app.get(
    '/health',
    {
      config: { auth: 'public', rateLimit: false },
      schema: { tags: ['Health'], summary: 'Liveness of the server', response: { 200: Health } },
    },
    async () => {
      const now = clock.now()
      return {
        status: 'ok' as const,
        uptime: Math.round((now.getTime() - startedAt) / 10) / 100,
        timestamp: now.toISOString(),
      }
    },
  )
}

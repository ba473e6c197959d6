import type { FastifyInstance } from 'fastify'
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'

/** Prometheus metrics: request counts and latency by route and status, plus the process's own. */
export function registerMetrics(app: FastifyInstance): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })

  // One pair of label-bound series per method, route and status, so that a request only bumps them.
  const series = new Map<string, { count: () => void; observe: (seconds: number) => void }>()
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: ids in paths would make every request its own series.
    const route = request.is404 ? 'not_found' : (request.routeOptions.url ?? 'unknown')
    const key = `${request.method} ${reply.statusCode} ${route}`
    let bound = series.get(key)
    if (!bound) {
      const labels = { method: request.method, route, status_code: String(reply.statusCode) }
      const counter = requests.labels(labels)
      const histogram = latency.labels(labels)
      bound = { count: () => counter.inc(), observe: (seconds) => histogram.observe(seconds) }
      series.set(key, bound)
    }
    bound.count()
    bound.observe(reply.elapsedTime / 1000)
    done()
  })

  app.get(
    '/metrics',
    { config: { auth: 'public', rateLimit: false }, schema: { hide: true } },
    async (_request, reply) => {
      reply.header('content-type', registry.contentType)
      return registry.metrics()
    },
  )
  return registry
}

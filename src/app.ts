import fs from 'node:fs'
import cors from '@fastify/cors'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify'
import { authRoutes } from './auth/routes.js'
import { automationRoutes } from './automation/routes.js'
import { calendarRoutes } from './calendar/routes.js'
import { chatRoutes } from './chat/routes.js'
import { contactRoutes } from './contacts/routes.js'
import { conversationRoutes } from './conversations/routes.js'
import { directRoutes } from './direct/routes.js'
import { groupRoutes } from './groups/routes.js'
import { registerAuthentication } from './http/authenticate.js'
import { registerErrorHandling } from './http/error-handler.js'
import { registerHealth } from './http/health.js'
import { API_PREFIX, rewriteInstanceHostUrl } from './http/host.js'
import { registerMetrics } from './http/metrics.js'
import { registerOpenApi } from './http/openapi.js'
import { registerRateLimits } from './http/rate-limit.js'
import { registerSecurityHeaders } from './http/security-headers.js'
import { instanceRoutes } from './instances/routes.js'
import { kanbanRoutes } from './kanban/module.js'
import { mediaRoutes } from './media/routes.js'
import { messageRoutes } from './messages/routes.js'
import { sandboxRoutes } from './sandbox/routes.js'
import { scheduledRoutes } from './scheduled/routes.js'
import { type AppDeps, createServices } from './services.js'
import { settingsRoutes } from './settings/routes.js'
import { streamRoutes } from './stream/routes.js'
import { tagRoutes } from './tags/routes.js'
import { inboundRoutes } from './webhooks/inbound-routes.js'
import { webhookRoutes } from './webhooks/routes.js'

const VERSION = (
  JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version

export type { AppDeps }

function emptyBodyAsObject(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  if (request.body === undefined) request.body = {}
  done()
}

/** Builds the whole application; the server and the tests use this one factory with the same options. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps
  const services = createServices(deps)
  const {
    clock,
    auth,
    twoFactor,
    passwordReset,
    instanceTokens,
    instances,
    supervisor,
    dispatcher,
    sandbox,
    groups,
    direct,
  } = services

  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: config.trustProxy,
    requestIdHeader: 'x-request-id',
    // Shutdown must not wait for idle keep-alive clients (a finished download can hold it for a minute).
    forceCloseConnections: true,
    // One line per request is noise at info level; debug and trace show them.
    logController: new LogController({
      disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace',
    }),
    rewriteUrl: (req) => rewriteInstanceHostUrl(req.url ?? '/', req.headers.host, config.instanceBaseDomain),
    ajv: {
      customOptions: { allErrors: true, coerceTypes: 'array', useDefaults: true, removeAdditional: true },
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  registerErrorHandling(app, {
    forwardTimeoutMs: config.internal.timeoutMs,
    forwardingSeal: services.forwardingSeal,
  })
  // A request with no body where the route takes one is validated as `{}`, so that clients get
  // "the X field is required" for each field rather than a bare "body must be object".
  app.addHook('onRoute', (route) => {
    if (!route.schema?.body) return
    const hooks = route.preValidation ? [route.preValidation].flat() : []
    route.preValidation = [emptyBodyAsObject, ...hooks]
  })
  registerSecurityHeaders(app, { contentSecurityPolicy: false })
  // @fastify/cors allows only GET, HEAD and POST unless told; the API uses every method.
  await app.register(cors, { origin: '*', methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] })
  await registerOpenApi(app, config.publicUrl, VERSION)
  await registerRateLimits(app, config.rateLimit, services.forwardingSeal)
  registerAuthentication(app, config.instanceBaseDomain, {
    userToken: (token) => auth.resolveToken(token),
    instanceToken: (token) => instanceTokens.resolve(token),
    instanceInTenant: (instanceId, tenantId) => instanceTokens.instanceInTenant(instanceId, tenantId),
  })
  registerMetrics(app)
  registerHealth(app, clock)

  await app.register(authRoutes, { prefix: API_PREFIX, auth, twoFactor, passwordReset })
  await app.register(instanceRoutes, { prefix: API_PREFIX, instances })
  await app.register(messageRoutes, { prefix: API_PREFIX, messages: services.messages })
  await app.register(mediaRoutes, { prefix: API_PREFIX, media: services.media.media })
  await app.register(scheduledRoutes, {
    prefix: API_PREFIX,
    messages: services.messages,
    contacts: services.contacts,
  })
  const inbox = { conversations: services.conversations, chat: services.chat }
  await app.register(conversationRoutes, { prefix: API_PREFIX, ...inbox })
  await app.register(chatRoutes, { prefix: API_PREFIX, ...inbox })
  await app.register(contactRoutes, { prefix: API_PREFIX, contacts: services.contacts, chat: services.chat })
  await app.register(tagRoutes, { prefix: API_PREFIX, tags: services.tags })
  await app.register(settingsRoutes, { prefix: API_PREFIX, aiSettings: services.aiSettings })
  await app.register(kanbanRoutes, { prefix: API_PREFIX, kanban: services.kanban })
  await app.register(calendarRoutes, { prefix: API_PREFIX, calendar: services.calendar })
  await app.register(automationRoutes, {
    prefix: API_PREFIX,
    definitions: services.automationDefinitions,
    control: services.automationControl,
  })
  await app.register(sandboxRoutes, { prefix: API_PREFIX, sandbox })
  await app.register(groupRoutes, { prefix: API_PREFIX, groups })
  // The direct endpoints live at the root (DECISIONS §1).
  await app.register(directRoutes, { direct })
  await app.register(webhookRoutes, { prefix: API_PREFIX, webhooks: services.webhooks })
  await app.register(inboundRoutes, { prefix: API_PREFIX, inbound: services.inbound })
  // The web docs' workers post to the root of the main host as well.
  await app.register(inboundRoutes, { inbound: services.inbound, hidden: true })
  await app.register(streamRoutes, {
    prefix: API_PREFIX,
    hub: services.stream,
    resolvers: {
      userToken: (token) => auth.resolveToken(token),
      instanceToken: (token) => instanceTokens.resolve(token),
      instanceInTenant: (instanceId, tenantId) => instanceTokens.instanceInTenant(instanceId, tenantId),
      instances,
    },
  })

  // Background work runs while the server listens; closing the server closes every connection.
  app.addHook('onReady', async () => {
    dispatcher.start()
    services.deliverer.start()
    services.stream.start()
    services.sender.start()
    services.media.start()
    await supervisor.start()
  })
  app.addHook('preClose', async () => {
    await services.sender.stop()
    services.media.stop()
    await supervisor.stop()
    services.stream.stop()
    await dispatcher.stop()
    await services.deliverer.stop()
  })

  return app
}

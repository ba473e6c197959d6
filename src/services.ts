import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { createPasswordReset } from './auth/password-reset.js'
import { createAuthService } from './auth/service.js'
import { createLoginThrottle } from './auth/throttle.js'
import { createTwoFactor } from './auth/two-factor.js'
import { createAutomationControl } from './automation/control.js'
import { createAutomationDefinitions } from './automation/definitions.js'
import { createAutomationRuntime } from './automation/runtime.js'
import { callerInstant, createCalendar } from './calendar/module.js'
import { createChatService } from './chat/service.js'
import type { Config } from './config.js'
import { createContactService } from './contacts/service.js'
import { createConversationService } from './conversations/service.js'
import type { Database } from './db/database.js'
import { parseJson } from './db/dialect.js'
import { createDirectService } from './direct/service.js'
import type { BaileysEngineOptions } from './engine/baileys/index.js'
import { DeferredEngine } from './engine/deferred.js'
import type { EngineEvents } from './engine/events.js'
import { SandboxEngine, type SandboxEngineOptions, SandboxNetwork } from './engine/sandbox/index.js'
import type { AuthStateStore, Engine } from './engine/types.js'
import { createEventDispatcher } from './events/outbox.js'
import { createPgWakeup } from './events/pg-wakeup.js'
import { createGroupService } from './groups/service.js'
import { createForwardingSeal } from './http/forward.js'
import { createInstanceService, type InstanceUsage } from './instances/service.js'
import { createSupervisor, type EngineFactory, type InstanceRow } from './instances/supervisor.js'
import { createInstanceTokens } from './instances/tokens.js'
import { createKanban } from './kanban/module.js'
import { resolveAppKey } from './lib/app-key.js'
import { type Clock, systemClock } from './lib/clock.js'
import type { Cipher } from './lib/secrets.js'
import { createMailer, type Mailer } from './mail/mailer.js'
import { createMediaModule } from './media/module.js'
import type { MediaFetchOptions } from './media/url-fetch.js'
import { createIngestion } from './messages/ingestion.js'
import { createSender } from './messages/sender.js'
import { createMessageService, type SendGuard } from './messages/service.js'
import { createSandboxRecordStore } from './sandbox/record-store.js'
import { createSandboxService } from './sandbox/service.js'
import { createAiSettingsService } from './settings/service.js'
import { createStreamHub } from './stream/hub.js'
import { createTagService } from './tags/service.js'
import { createWebhookModule } from './webhooks/module.js'

/** Infrastructure handed to the application: production passes real ones, tests pass local or controllable ones. */
export interface AppDeps {
  config: Config
  database: Database
  cipher: Cipher
  logger: Logger
  clock?: Clock
  mailer?: Mailer
  /** Makes each instance's engine; by default real Baileys connections and the in-process sandbox. */
  engineFactory?: EngineFactory
  /** The simulated WhatsApp network of sandbox instances (one per process by default). */
  sandboxNetwork?: SandboxNetwork
  /** This process's id among the processes sharing the database. */
  nodeId?: string
  /** How media URLs are downloaded (tests allow loopback hosts here). */
  mediaFetch?: MediaFetchOptions
}

export type Services = ReturnType<typeof createServices>

/** Every module's service, wired in one readable place; used by the HTTP app and the CLI alike. */
export function createServices(deps: AppDeps) {
  const { config, cipher } = deps
  const db = deps.database.db
  const clock = deps.clock ?? systemClock
  const mailer = deps.mailer ?? createMailer(config.smtp, deps.logger)

  const throttle = createLoginThrottle(db, clock, config.loginThrottle)
  const twoFactor = createTwoFactor({ db, clock, cipher, issuer: 'Zapini' })
  const auth = createAuthService({
    db,
    clock,
    throttle,
    twoFactor,
    registrationEnabled: config.registrationEnabled,
    tokenTtlDays: config.tokenTtlDays,
  })
  const passwordReset = createPasswordReset({
    db,
    clock,
    mailer,
    throttle,
    publicUrl: config.publicUrl,
    ttlMinutes: config.passwordResetTtlMinutes,
  })
  const instanceTokens = createInstanceTokens({ db, clock })

  const dispatcher = createEventDispatcher({
    db,
    clock,
    logger: deps.logger,
    pollMs: config.eventsPollMs,
    // Processes sharing a PostgreSQL database wake each other when they append events.
    wakeup: deps.database.dialect === 'postgres' ? createPgWakeup(config.databaseUrl, deps.logger) : null,
  })
  // What reaches the sandbox's WhatsApp is kept in the database, so that a resend after a crash
  // is recognized as the message the server already has.
  const sandboxNetwork =
    deps.sandboxNetwork ?? new SandboxNetwork({ store: createSandboxRecordStore(db, clock) })
  const supervisor = createSupervisor({
    db,
    clock,
    logger: deps.logger,
    nodeId: deps.nodeId ?? randomUUID(),
    address: config.internal.url,
    leaseSeconds: config.instanceLease.seconds,
    tickMs: config.instanceLease.renewMs,
    factory: deps.engineFactory ?? defaultEngineFactory(sandboxNetwork, deps.logger),
    onEventsAppended: () => dispatcher.notify(),
  })
  // Later modules (messages, conversations) report traffic figures through this.
  let usage: InstanceUsage | null = null
  const instances = createInstanceService({
    db,
    clock,
    supervisor,
    tokens: instanceTokens,
    defaultEngine: config.defaultEngine,
    publicUrl: config.publicUrl,
    usage: () => usage,
  })

  const tags = createTagService({ db, clock })
  const conversations = createConversationService({ db, clock, instances, tags })
  const contacts = createContactService({ db, clock, instances, conversations })
  const ingestion = createIngestion({
    db,
    clock,
    contacts,
    conversations,
    onEventsAppended: () => dispatcher.notify(),
  })
  supervisor.onEngineEvent((instance, event, data) => {
    switch (event) {
      case 'message':
        return ingestion.message(instance.id, data as EngineEvents['message'])
      case 'receipt':
        return ingestion.receipt(instance.id, data as EngineEvents['receipt'])
      case 'reaction':
        return ingestion.reaction(instance.id, data as EngineEvents['reaction'])
      case 'edit':
        return ingestion.edit(instance.id, data as EngineEvents['edit'])
      case 'revoke':
        return ingestion.revoke(instance.id, data as EngineEvents['revoke'])
      case 'contact':
        return ingestion.contact(instance.id, data as EngineEvents['contact'])
    }
  })
  const appKey = resolveAppKey(config.appKey, config.dataDir)
  const media = createMediaModule({
    db,
    clock,
    logger: deps.logger,
    config,
    appKey,
    engineOf: (instanceId) => supervisor.local(instanceId),
    fetch: deps.mediaFetch,
  })
  // Listeners run in order: the message is stored by now, its file is fetched in the background.
  supervisor.onEngineEvent((instance, event, data) => {
    if (event === 'message') media.received.onMessage(instance.id, data as EngineEvents['message'])
  })
  const sender = createSender({
    db,
    clock,
    logger: deps.logger,
    supervisor,
    onEventsAppended: () => dispatcher.notify(),
    readMedia: (key) => media.media.read(key),
  })
  // Manual sends into a conversation can be vetoed (the automation handover adds its guard here).
  const sendGuards: SendGuard[] = []
  const messages = createMessageService({
    db,
    clock,
    instances,
    contacts,
    conversations,
    sender,
    media: media.media,
    expiryHours: config.messageExpiryHours,
    guards: sendGuards,
  })
  const chat = createChatService({ db, instances, conversations, contacts, messages })
  usage = {
    sentToday: (instanceId) => messages.sentToday(instanceId),
    stats: (tenantId, instanceId) => messages.instanceStats(tenantId, instanceId),
  }

  // CRM: the tenant's AI provider, the kanban pipeline, the calendar with its WhatsApp reminders.
  const aiSettings = createAiSettingsService({ db, clock, cipher })
  const kanban = createKanban({
    db,
    clock,
    contacts,
    conversations,
    ai: aiSettings,
    instant: callerInstant(db),
  })
  const calendar = createCalendar({ db, clock, contacts, instances, messages, leads: kanban.leads })

  const automationControl = createAutomationControl({ db, clock })
  sendGuards.push((_auth, chat, source) =>
    // Only manual sends are held back; the automation's own replies and calendar reminders are not.
    source === 'automation' || source === 'calendar'
      ? Promise.resolve()
      : automationControl.assertManualSendAllowedToChat(chat.instanceId, chat.chatJid),
  )
  const automationDefinitions = createAutomationDefinitions({ db, clock, cipher, instances })
  const automation = createAutomationRuntime({
    db,
    clock,
    logger: deps.logger,
    control: automationControl,
    definitions: automationDefinitions,
    maxRepliesPerMinute: config.automationMaxRepliesPerMinute,
    actions: {
      async sendText(auth, recipient, text) {
        await messages.queueText(auth, { recipient, message: text }, { source: 'automation' })
      },
      async sendMedia(auth, recipient, media) {
        await messages.queueMedia(
          auth,
          {
            recipient,
            media_url: { value: media.url, field: 'media_url' },
            media_type: media.type as 'image' | 'video' | 'audio' | 'document',
            caption: media.caption,
            filename: media.filename,
          },
          { source: 'automation' },
        )
      },
      async createLead(auth, conversationId, spec) {
        await kanban.leads.create(
          auth,
          { ...spec, conversation_id: String(conversationId) },
          {
            description: 'Created by an automation flow',
            data: { conversation_id: conversationId },
          },
        )
      },
      tenantAi: (tenantId) => aiSettings.clientFor(tenantId),
      async addTag(auth, conversationId, tag) {
        const [found] = await tags
          .resolve(auth, [tag])
          .catch(async () =>
            (await tags.list(auth)).filter((t) => t.name.toLowerCase() === tag.toLowerCase()),
          )
        if (!found) throw new Error(`no tag "${tag}"`)
        const current = (await tags.tagsOf([conversationId])).get(conversationId) ?? []
        const ids = await tags.idsFor(auth, [...current.map((t) => t.id), String(found.id)])
        await db.transaction().execute((trx) => tags.replace(trx, conversationId, ids))
      },
    },
  })
  // Automation claims each message once (its log row), so its position too is saved lazily.
  dispatcher.subscribe('automation', (events) => automation.consume(events), { saveEveryMs: 250 })

  const sandbox = createSandboxService({
    instances,
    supervisor,
    fetchMedia: media.fetchMedia,
    whatsappIdOf: (instanceId, ref) => messages.whatsappIdOf(instanceId, ref),
  })
  const groups = createGroupService({ instances })
  const direct = createDirectService({
    instances,
    groups,
    fetchMedia: media.fetchMedia,
    baseDomain: config.instanceBaseDomain,
    beforeManualSend: (instanceId, chatJid) =>
      automationControl.assertManualSendAllowedToChat(instanceId, chatJid),
    takeQuota: (instance) => messages.takeDailyQuota(instance),
  })
  const { webhooks, inbound, deliverer } = createWebhookModule({
    db,
    clock,
    logger: deps.logger,
    cipher,
    config,
    dispatcher,
    instances,
    instanceTokens,
    ingestion,
  })
  const stream = createStreamHub({
    dispatcher,
    clock,
    logger: deps.logger,
    heartbeatMs: config.streamHeartbeatSeconds * 1000,
  })

  return {
    clock,
    forwardingSeal: createForwardingSeal(appKey),
    aiSettings,
    kanban,
    calendar,
    media,
    automationControl,
    automationDefinitions,
    automation,
    contacts,
    conversations,
    tags,
    chat,
    ingestion,
    sender,
    sendGuards,
    messages,
    sandbox,
    groups,
    direct,
    auth,
    twoFactor,
    passwordReset,
    instanceTokens,
    dispatcher,
    webhooks,
    inbound,
    deliverer,
    stream,
    sandboxNetwork,
    supervisor,
    instances,
    setUsage(provider: InstanceUsage) {
      usage = provider
    },
  }
}

/** What the engines of a process are made with. */
export interface EngineFactoryOptions {
  /** The simulated network that sandbox instances join. */
  network: SandboxNetwork
  /** The application's logger: each engine logs through a child that names its instance. */
  logger: Logger
  /** Socket options for every Baileys connection, over the defaults (tests point them at a simulator). */
  baileysSocket?: BaileysEngineOptions['socket']
}

/** The engines production makes; exported so that tests can reuse it (with their own socket options). */
export function createEngineFactory(options: EngineFactoryOptions): EngineFactory {
  return (instance, auth) => {
    if (instance.engine === 'sandbox') {
      const settings = parseJson<SandboxInstanceSettings>(instance.settings, {})
      return new SandboxEngine({
        network: options.network,
        instanceId: instance.uuid,
        auth,
        name: instance.name,
        settings: { autoDeliver: settings.auto_deliver !== false },
        qr: sandboxQrOptions(settings),
        logger: options.logger.child({ instance: instance.id }),
      })
    }
    return baileysEngine(instance, auth, options)
  }
}

/** The production factory with default socket options (kept for the callers that wrap it). */
export function defaultEngineFactory(network: SandboxNetwork, logger: Logger): EngineFactory {
  return createEngineFactory({ network, logger })
}

/**
 * A real WhatsApp connection on the instance's stored session. Baileys loads with the first
 * instance that connects. It logs every frame at debug and much at info, so its logger stays at
 * warn unless the server itself runs at debug or trace.
 */
function baileysEngine(instance: InstanceRow, auth: AuthStateStore, options: EngineFactoryOptions): Engine {
  const level = options.logger.level === 'info' ? 'warn' : options.logger.level
  const logger = options.logger.child({ instance: instance.id, engine: 'baileys' }, { level })
  const socket = options.baileysSocket
  return new DeferredEngine(
    'baileys',
    async () => {
      const { BaileysEngine } = await import('./engine/baileys/index.js')
      return new BaileysEngine({ auth, logger, ...(socket ? { socket } : {}) })
    },
    (error, event) => logger.error({ err: error, event }, 'engine listener failed'),
  )
}

/** The settings a sandbox instance takes (`settings` of `POST/PATCH /instances`). */
interface SandboxInstanceSettings {
  auto_deliver?: boolean
  /** How long each QR code is shown before the next one replaces it (default 60 s, then 20 s). */
  qr_ttl_seconds?: unknown
  /** How many QR codes are shown before the attempt ends as `disconnected` (default 6). */
  qr_max_count?: unknown
}

/** QR rotation from the instance settings, so that expiry can be seen without waiting a minute. */
function sandboxQrOptions(settings: SandboxInstanceSettings): SandboxEngineOptions['qr'] {
  const ttl = Number(settings.qr_ttl_seconds)
  const count = Number(settings.qr_max_count)
  const ttlMs = Math.round(Math.min(3600, Math.max(0.1, ttl)) * 1000)
  return {
    ...(ttl > 0 ? { firstTtlMs: ttlMs, ttlMs } : {}),
    ...(Number.isInteger(count) && count > 0 ? { maxCount: Math.min(count, 100) } : {}),
  }
}

import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { createPasswordReset } from './auth/password-reset.js'
import { createAuthService } from './auth/service.js'
import { createLoginThrottle } from './auth/throttle.js'
import { createTwoFactor } from './auth/two-factor.js'
import type { Config } from './config.js'
import type { Database } from './db/database.js'
import { parseJson } from './db/dialect.js'
import { SandboxEngine, SandboxNetwork } from './engine/sandbox/index.js'
import { createEventDispatcher } from './events/outbox.js'
import { createInstanceService, type InstanceUsage } from './instances/service.js'
import { createSupervisor, type EngineFactory } from './instances/supervisor.js'
import { createInstanceTokens } from './instances/tokens.js'
import { type Clock, systemClock } from './lib/clock.js'
import type { Cipher } from './lib/secrets.js'
import { createMailer, type Mailer } from './mail/mailer.js'
import { createSandboxService } from './sandbox/service.js'

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

  const dispatcher = createEventDispatcher({ db, clock, logger: deps.logger })
  const sandboxNetwork = deps.sandboxNetwork ?? new SandboxNetwork()
  const supervisor = createSupervisor({
    db,
    clock,
    logger: deps.logger,
    nodeId: deps.nodeId ?? randomUUID(),
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

  const sandbox = createSandboxService({ instances, supervisor })

  return {
    clock,
    sandbox,
    auth,
    twoFactor,
    passwordReset,
    instanceTokens,
    dispatcher,
    sandboxNetwork,
    supervisor,
    instances,
    setUsage(provider: InstanceUsage) {
      usage = provider
    },
  }
}

function defaultEngineFactory(network: SandboxNetwork, logger: Logger): EngineFactory {
  return (instance, auth) => {
    if (instance.engine === 'sandbox') {
      const settings = parseJson<{ auto_deliver?: boolean }>(instance.settings, {})
      return new SandboxEngine({
        network,
        instanceId: instance.uuid,
        auth,
        name: instance.name,
        settings: { autoDeliver: settings.auto_deliver !== false },
        logger,
      })
    }
    throw new Error('The Baileys engine is not available in this build')
  }
}

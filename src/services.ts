import type { Logger } from 'pino'
import { createPasswordReset } from './auth/password-reset.js'
import { createAuthService } from './auth/service.js'
import { createLoginThrottle } from './auth/throttle.js'
import { createTwoFactor } from './auth/two-factor.js'
import type { Config } from './config.js'
import type { Database } from './db/database.js'
import { createInstanceTokens } from './instances/tokens.js'
import { type Clock, systemClock } from './lib/clock.js'
import type { Cipher } from './lib/secrets.js'
import { createMailer, type Mailer } from './mail/mailer.js'

/** Infrastructure handed to the application: production passes real ones, tests pass local or controllable ones. */
export interface AppDeps {
  config: Config
  database: Database
  cipher: Cipher
  logger: Logger
  clock?: Clock
  mailer?: Mailer
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

  return { clock, auth, twoFactor, passwordReset, instanceTokens }
}

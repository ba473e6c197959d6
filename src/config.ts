import path from 'node:path'

/**
 * Every setting of the server, parsed and validated once at start.
 * Nothing else in the code base reads `process.env`.
 */
export interface Config {
  host: string
  port: number
  publicUrl: string
  /** Host names `instance-{id}.{instanceBaseDomain}` are bound to one instance. */
  instanceBaseDomain: string
  dataDir: string
  databaseUrl: string
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  trustProxy: boolean
  appKey: string | null
  registrationEnabled: boolean
  rateLimit: { max: number; windowSeconds: number; tokenMax: number }
  loginThrottle: { maxFailures: number; lockoutSeconds: number }
  passwordResetTtlMinutes: number
  tokenTtlDays: number
  smtp: { url: string | null; from: string }
  defaultEngine: 'baileys' | 'sandbox'
  /** A queued message still unsent after this long fails with EXPIRED. */
  messageExpiryHours: number
  /** At most this many automated replies per conversation per minute. */
  automationMaxRepliesPerMinute: number
  /** Outgoing webhooks: how long to wait, how to retry, how many at once, which addresses. */
  webhooks: {
    timeoutMs: number
    retryBaseMs: number
    retryHours: number
    concurrency: number
    allowPrivateUrls: boolean
    logDays: number
  }
  /** How often the events outbox and the webhook queue are looked at besides wake-ups. */
  eventsPollMs: number
  /** Seconds between heartbeats on the live event stream. */
  streamHeartbeatSeconds: number
  /** Instance ownership among processes: how long a lease lasts unrenewed, how often it is renewed. */
  instanceLease: { seconds: number; renewMs: number }
  /**
   * Where the other processes reach this one (origin only), and how long a request forwarded to the
   * process holding an instance may take; null in a single process: nothing is forwarded.
   */
  internal: { url: string | null; timeoutMs: number }
  /** Uploaded, fetched and received files: how long uploads live, how large files may be, downloads. */
  media: {
    expiryDays: number
    maxBytes: number
    allowPrivateUrls: boolean
    sweepSeconds: number
    downloadAttempts: number
    downloadRetryMs: number
  }
}

export interface SettingDoc {
  name: string
  default: string
  meaning: string
}

/** The documented settings; the README's table is written from this list. */
export const SETTINGS: SettingDoc[] = [
  { name: 'HOST', default: '0.0.0.0', meaning: 'Address the HTTP server listens on.' },
  { name: 'PORT', default: '3000', meaning: 'Port the HTTP server listens on.' },
  {
    name: 'PUBLIC_URL',
    default: 'http://localhost:{PORT}',
    meaning:
      'Public address of the server; links in e-mails use it and its host name is the base domain of the instance gateway (`instance-{id}.{host}`).',
  },
  {
    name: 'DATA_DIR',
    default: './data',
    meaning: 'Folder for the embedded SQLite database, media and the generated app key.',
  },
  {
    name: 'DATABASE_URL',
    default: 'sqlite:{DATA_DIR}/zapini.db',
    meaning:
      '`sqlite:<file>` for the embedded database or `postgres://user:pass@host:5432/db` for PostgreSQL.',
  },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'fatal, error, warn, info, debug, trace or silent.' },
  {
    name: 'TRUST_PROXY',
    default: 'false',
    meaning: 'Trust `X-Forwarded-*` headers (behind a reverse proxy).',
  },
  {
    name: 'APP_KEY',
    default: 'generated into {DATA_DIR}/app.key',
    meaning:
      '32 bytes, base64: the key that encrypts recoverable secrets at rest (TOTP secrets, webhook secrets, AI keys). Required with PostgreSQL so that every process shares it.',
  },
  {
    name: 'REGISTRATION_ENABLED',
    default: 'true',
    meaning: 'Whether `POST /auth/register` may create new tenants.',
  },
  {
    name: 'RATE_LIMIT_MAX',
    default: '100',
    meaning: 'Requests per client IP per window; 0 turns the limit off.',
  },
  { name: 'RATE_LIMIT_WINDOW_SECONDS', default: '900', meaning: 'Length of the rate-limit window.' },
  {
    name: 'RATE_LIMIT_TOKEN_MAX',
    default: '0',
    meaning: 'Requests per bearer token per window, on top of the per-IP limit; 0 turns it off.',
  },
  {
    name: 'LOGIN_MAX_FAILURES',
    default: '5',
    meaning: 'Failed logins for one e-mail before it is locked out for a while.',
  },
  {
    name: 'LOGIN_LOCKOUT_SECONDS',
    default: '900',
    meaning: 'How long an e-mail stays locked out after too many failures.',
  },
  {
    name: 'PASSWORD_RESET_TTL_MINUTES',
    default: '60',
    meaning: 'How long a password-reset token stays valid.',
  },
  {
    name: 'TOKEN_TTL_DAYS',
    default: '0',
    meaning: 'Lifetime of user tokens in days; 0 means they do not expire.',
  },
  {
    name: 'SMTP_URL',
    default: '(unset)',
    meaning:
      'SMTP server for e-mails, e.g. `smtp://user:pass@mail.example.com:587`; unset writes e-mails to the log.',
  },
  { name: 'MAIL_FROM', default: 'Zapini <no-reply@localhost>', meaning: 'Sender of the e-mails.' },
  {
    name: 'DEFAULT_ENGINE',
    default: 'baileys',
    meaning: 'Engine of new instances when none is given: baileys or sandbox.',
  },
  {
    name: 'MESSAGE_EXPIRY_HOURS',
    default: '24',
    meaning: 'A queued message still unsent after this many hours fails with `EXPIRED`.',
  },
  {
    name: 'AUTOMATION_MAX_REPLIES_PER_MINUTE',
    default: '10',
    meaning: 'At most this many automated replies (flows, bots, AI agents) per conversation per minute.',
  },
  {
    name: 'WEBHOOK_TIMEOUT_MS',
    default: '5000',
    meaning: 'A webhook receiver that has not answered 2xx within this is retried later.',
  },
  {
    name: 'WEBHOOK_RETRY_BASE_MS',
    default: '10000',
    meaning:
      'First webhook retry after about this long; each next one waits twice as long (at most 1 h), with jitter.',
  },
  {
    name: 'WEBHOOK_RETRY_HOURS',
    default: '24',
    meaning: 'How long a webhook delivery is retried before it is marked failed.',
  },
  {
    name: 'WEBHOOK_CONCURRENCY',
    default: '50',
    meaning: 'Webhook requests in flight at once per process.',
  },
  {
    name: 'WEBHOOK_ALLOW_PRIVATE_URLS',
    default: 'false',
    meaning: 'Let webhooks reach loopback and private addresses (closed networks, tests).',
  },
  {
    name: 'WEBHOOK_LOG_DAYS',
    default: '30',
    meaning: 'Finished webhook deliveries stay in the delivery log this many days.',
  },
  {
    name: 'EVENTS_POLL_MS',
    default: '1000',
    meaning:
      'How often the events outbox and the webhook queue are polled besides wake-ups (events of other processes, due retries).',
  },
  {
    name: 'STREAM_HEARTBEAT_SECONDS',
    default: '30',
    meaning: 'Seconds between heartbeats (a ping and `{"event":"heartbeat"}`) on the live event stream.',
  },
  {
    name: 'INSTANCE_LEASE_SECONDS',
    default: '15',
    meaning:
      'Each WhatsApp connection is held by one process under a lease; a process that stops renewing its leases (it crashed) loses its instances to the other processes this long after its last renewal.',
  },
  {
    name: 'INSTANCE_LEASE_RENEW_MS',
    default: '5000',
    meaning:
      'How often a process renews its leases and takes its share of the instances nobody holds; less than half of `INSTANCE_LEASE_SECONDS`.',
  },
  {
    name: 'INTERNAL_URL',
    default: '(unset)',
    meaning:
      'Address at which the other processes on the same PostgreSQL database reach this one, e.g. `http://10.0.0.5:3000`. A request that needs the live connection of an instance another process holds (live status, groups, direct sends, sandbox controls, read receipts) is forwarded to that process and its answer relayed. Unset (one process): nothing is forwarded.',
  },
  {
    name: 'INTERNAL_TIMEOUT_MS',
    default: '30000',
    meaning:
      'How long a forwarded request waits for the process holding the instance; after that, or when it cannot be reached, the answer is `503 SERVICE_UNAVAILABLE`.',
  },
  {
    name: 'MEDIA_EXPIRY_DAYS',
    default: '7',
    meaning: 'Files uploaded with `POST /media/upload` are deleted this many days later (`expires_at`).',
  },
  {
    name: 'MEDIA_MAX_BYTES',
    default: '104857600',
    meaning:
      'Largest file accepted, over the per-kind limits (image 16 MB, video 64 MB, audio 16 MB, document 100 MB); lower it to accept less.',
  },
  {
    name: 'MEDIA_ALLOW_PRIVATE_URLS',
    default: 'false',
    meaning: 'Let `media_url` reach loopback and private addresses (closed networks only).',
  },
  {
    name: 'MEDIA_SWEEP_SECONDS',
    default: '600',
    meaning: 'How often expired uploads are deleted and failed downloads of received media retried.',
  },
  {
    name: 'MEDIA_DOWNLOAD_ATTEMPTS',
    default: '4',
    meaning: 'Attempts to download a received file before it is recorded as failed.',
  },
  {
    name: 'MEDIA_DOWNLOAD_RETRY_MS',
    default: '5000',
    meaning: 'Wait before the first retry of a received file; each next one waits four times as long.',
  },
]

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`Invalid setting ${setting}: ${message}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

function text(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? fallback : value
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim()
  if (raw === undefined || raw === '') return fallback
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`)
  return value
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (raw === undefined || raw === '') return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true
  if (['0', 'false', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(name, `expected true or false, got "${raw}"`)
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = text(env, name, fallback)
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`)
  }
  return raw as T
}

function url(name: string, raw: string, protocols: string[]): URL {
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(name, `not a valid URL: "${raw}"`)
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${raw}"`)
  }
  return parsed
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export function loadConfig(env: Env): Config {
  const port = integer(env, 'PORT', 3000, 0, 65535)
  const publicUrl = url('PUBLIC_URL', text(env, 'PUBLIC_URL', `http://localhost:${port}`), [
    'http:',
    'https:',
  ])
  const dataDir = path.resolve(text(env, 'DATA_DIR', './data'))

  const databaseUrl = text(env, 'DATABASE_URL', `sqlite:${path.join(dataDir, 'zapini.db')}`)
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'expected sqlite:<file> or postgres://…')
  }
  if (databaseUrl.startsWith('postgres')) url('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:'])

  const appKey = env['APP_KEY']?.trim() || null
  if (appKey !== null && Buffer.from(appKey, 'base64').length !== 32) {
    throw new ConfigError('APP_KEY', 'expected 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)')
  }
  if (appKey === null && databaseUrl.startsWith('postgres')) {
    throw new ConfigError('APP_KEY', 'is required with PostgreSQL, so that every process shares one key')
  }

  const leaseSeconds = integer(env, 'INSTANCE_LEASE_SECONDS', 15, 2, 3600)
  const leaseRenewMs = integer(env, 'INSTANCE_LEASE_RENEW_MS', 5000, 100, 1_800_000)
  // Renewed at least twice per lease: one slow round must not cost a process its instances.
  if (leaseRenewMs * 2 >= leaseSeconds * 1000) {
    throw new ConfigError(
      'INSTANCE_LEASE_RENEW_MS',
      `must be less than half of INSTANCE_LEASE_SECONDS (${leaseSeconds} s), got ${leaseRenewMs} ms`,
    )
  }

  const internalRaw = env['INTERNAL_URL']?.trim() || null
  const internalUrl = internalRaw === null ? null : url('INTERNAL_URL', internalRaw, ['http:', 'https:'])
  if (internalUrl && (internalUrl.pathname !== '/' || internalUrl.search || internalUrl.hash)) {
    throw new ConfigError('INTERNAL_URL', `expected an address without a path, got "${internalRaw}"`)
  }

  const smtpUrl = env['SMTP_URL']?.trim() || null
  if (smtpUrl !== null) url('SMTP_URL', smtpUrl, ['smtp:', 'smtps:'])

  return {
    host: text(env, 'HOST', '0.0.0.0'),
    port,
    publicUrl: publicUrl.origin,
    instanceBaseDomain: publicUrl.hostname,
    dataDir,
    databaseUrl,
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    appKey,
    registrationEnabled: bool(env, 'REGISTRATION_ENABLED', true),
    rateLimit: {
      max: integer(env, 'RATE_LIMIT_MAX', 100, 0, 1_000_000_000),
      windowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 900, 1, 86_400),
      tokenMax: integer(env, 'RATE_LIMIT_TOKEN_MAX', 0, 0, 1_000_000_000),
    },
    loginThrottle: {
      maxFailures: integer(env, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
      lockoutSeconds: integer(env, 'LOGIN_LOCKOUT_SECONDS', 900, 1, 86_400),
    },
    passwordResetTtlMinutes: integer(env, 'PASSWORD_RESET_TTL_MINUTES', 60, 1, 10_080),
    tokenTtlDays: integer(env, 'TOKEN_TTL_DAYS', 0, 0, 3650),
    smtp: { url: smtpUrl, from: text(env, 'MAIL_FROM', 'Zapini <no-reply@localhost>') },
    defaultEngine: oneOf(env, 'DEFAULT_ENGINE', 'baileys', ['baileys', 'sandbox'] as const),
    messageExpiryHours: integer(env, 'MESSAGE_EXPIRY_HOURS', 24, 1, 24 * 30),
    automationMaxRepliesPerMinute: integer(env, 'AUTOMATION_MAX_REPLIES_PER_MINUTE', 10, 1, 1000),
    webhooks: {
      timeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 5000, 100, 60_000),
      retryBaseMs: integer(env, 'WEBHOOK_RETRY_BASE_MS', 10_000, 10, 3_600_000),
      retryHours: integer(env, 'WEBHOOK_RETRY_HOURS', 24, 1, 24 * 7),
      concurrency: integer(env, 'WEBHOOK_CONCURRENCY', 50, 1, 1000),
      allowPrivateUrls: bool(env, 'WEBHOOK_ALLOW_PRIVATE_URLS', false),
      logDays: integer(env, 'WEBHOOK_LOG_DAYS', 30, 1, 3650),
    },
    eventsPollMs: integer(env, 'EVENTS_POLL_MS', 1000, 10, 60_000),
    streamHeartbeatSeconds: integer(env, 'STREAM_HEARTBEAT_SECONDS', 30, 1, 3600),
    instanceLease: { seconds: leaseSeconds, renewMs: leaseRenewMs },
    internal: {
      url: internalUrl?.origin ?? null,
      timeoutMs: integer(env, 'INTERNAL_TIMEOUT_MS', 30_000, 100, 600_000),
    },
    media: {
      expiryDays: integer(env, 'MEDIA_EXPIRY_DAYS', 7, 1, 3650),
      maxBytes: integer(env, 'MEDIA_MAX_BYTES', 100 * 1024 * 1024, 1, 100 * 1024 * 1024),
      allowPrivateUrls: bool(env, 'MEDIA_ALLOW_PRIVATE_URLS', false),
      sweepSeconds: integer(env, 'MEDIA_SWEEP_SECONDS', 600, 1, 86_400),
      downloadAttempts: integer(env, 'MEDIA_DOWNLOAD_ATTEMPTS', 4, 1, 20),
      downloadRetryMs: integer(env, 'MEDIA_DOWNLOAD_RETRY_MS', 5000, 10, 3_600_000),
    },
  }
}

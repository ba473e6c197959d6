import type { Writable } from 'node:stream'
import { type Config, ConfigError, loadConfig } from './config.js'
import { openDatabase } from './db/database.js'
import { migrateToLatest } from './db/migrate.js'
import { AppError } from './http/errors.js'
import { resolveAppKey } from './lib/app-key.js'
import { parseEntityRef } from './lib/ids.js'
import { createCipher } from './lib/secrets.js'
import { createLogger } from './logger.js'
import { startServer } from './server.js'
import { createServices } from './services.js'

type Options = Record<string, string | undefined>

const HELP = `Usage: zapini <command> [options]

Commands:
  serve                                   Start the server (applies migrations first)
  migrate                                 Apply pending database migrations
  user:create --email E --password P --name N [--tenant NAME | --tenant ID] [--role admin|member]
                                          Create a user: with a new tenant (admin), or in an existing tenant
  token:create --email E [--name N]       Print a new user token for scripted set-ups
  token:create --instance ID [--name N]   Print a new sk_ token for an instance (id or uuid)
  help                                    Show this text

Settings are read from the environment (see the README).
`

/** The command line: every command parses settings once and fails with a message naming a bad one. */
export function createCli(env: Record<string, string | undefined>, out: Writable, err: Writable) {
  const print = (text: string) => out.write(`${text}\n`)
  const fail = (text: string) => {
    err.write(`${text}\n`)
    return 1
  }

  function config(): Config {
    return loadConfig(env)
  }

  async function withServices<T>(
    work: (services: ReturnType<typeof createServices>, cfg: Config) => Promise<T>,
  ) {
    const cfg = config()
    const logger = createLogger('silent')
    const database = openDatabase(cfg.databaseUrl)
    try {
      await migrateToLatest(database.db)
      const cipher = createCipher(resolveAppKey(cfg.appKey, cfg.dataDir))
      return await work(createServices({ config: cfg, database, cipher, logger }), cfg)
    } finally {
      await database.close()
    }
  }

  function required(options: Options, ...names: string[]): string | null {
    const missing = names.filter((n) => !options[n])
    return missing.length ? `Missing option(s): ${missing.map((n) => `--${n}`).join(', ')}` : null
  }

  const commands: Record<string, (options: Options) => Promise<number | null>> = {
    async help() {
      print(HELP)
      return 0
    },

    async serve() {
      const cfg = config()
      const logger = createLogger(cfg.logLevel)
      const server = await startServer(cfg, logger)
      const shutdown = (signal: string) => {
        logger.info({ signal }, 'shutting down')
        server.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed')
            process.exit(1)
          },
        )
      }
      process.once('SIGINT', shutdown)
      process.once('SIGTERM', shutdown)
      return null
    },

    async migrate() {
      const cfg = config()
      const database = openDatabase(cfg.databaseUrl)
      try {
        const applied = await migrateToLatest(database.db)
        print(
          applied.length
            ? `Applied: ${applied.join(', ')}`
            : 'Nothing to migrate: the database is up to date.',
        )
      } finally {
        await database.close()
      }
      return 0
    },

    async 'user:create'(options) {
      const missing = required(options, 'email', 'password', 'name')
      if (missing) return fail(missing)
      const role =
        options['role'] ?? (options['tenant'] && parseEntityRef(options['tenant']) ? 'member' : 'admin')
      if (role !== 'admin' && role !== 'member') return fail('--role must be admin or member')
      if ((options['password'] ?? '').length < 8) return fail('--password must have at least 8 characters')
      const tenantRef = options['tenant'] ? parseEntityRef(options['tenant']) : null
      return withServices(async (services) => {
        const user = await services.auth.createAccount({
          name: options['name']!,
          email: options['email']!,
          password: options['password']!,
          role,
          tenant_id: tenantRef && 'id' in tenantRef ? tenantRef.id : undefined,
          tenant_name: tenantRef ? undefined : options['tenant'],
        })
        print(`Created user ${user.email} (id ${user.id}, role ${user.role}) in tenant ${user.tenant_id}`)
        return 0
      })
    },

    async 'token:create'(options) {
      const name = options['name'] ?? 'cli'
      if (options['instance']) {
        const ref = parseEntityRef(options['instance'])
        if (!ref) return fail('--instance must be an instance id or uuid')
        return withServices(async (services) => {
          const instance = await services.instanceTokens.findInstance(ref)
          if (!instance) return fail('No such instance')
          print((await services.instanceTokens.create(instance.tenant_id, instance.id, name)).token)
          return 0
        })
      }
      const missing = required(options, 'email')
      if (missing) return fail(`${missing} (or --instance)`)
      return withServices(async (services) => {
        print((await services.auth.issueTokenFor(options['email']!, name)).token)
        return 0
      })
    },
  }

  return {
    async run(command: string, options: Options): Promise<number | null> {
      const handler = commands[command]
      if (!handler) {
        err.write(`Unknown command "${command}".\n\n${HELP}`)
        return 2
      }
      try {
        return await handler(options)
      } catch (error) {
        if (error instanceof ConfigError) return fail(error.message)
        if (error instanceof AppError) {
          const details = Object.values(error.details).flat().join(' ')
          return fail(details ? `${error.message} ${details}` : error.message)
        }
        throw error
      }
    },
  }
}

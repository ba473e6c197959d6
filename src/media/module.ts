import path from 'node:path'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { DB } from '../db/schema.js'
import type { Engine } from '../engine/types.js'
import type { Clock } from '../lib/clock.js'
import { createReceivedMedia } from './received.js'
import { createMediaService } from './service.js'
import { createUrlSigner } from './signing.js'
import { createLocalMediaStore, type MediaStore } from './store.js'
import { createMediaFetcher, createMediaOpener, type MediaFetchOptions } from './url-fetch.js'

/** The media module, wired: the store, the one URL fetcher, the service and the received-media downloads. */
export function createMediaModule(deps: {
  db: Kysely<DB>
  clock: Clock
  logger: Logger
  config: Config
  /** The key the file URLs are signed with (the app key). */
  appKey: string
  engineOf: (instanceId: number) => Engine | null
  /** Construction-time fetch policy (tests allow loopback hosts here); over the settings. */
  fetch?: MediaFetchOptions | undefined
  /** Another store (S3, …); by default files under DATA_DIR/media. */
  store?: MediaStore
}) {
  const { config } = deps
  const store = deps.store ?? createLocalMediaStore(path.join(config.dataDir, 'media'))
  const maxBytes = Math.min(config.media.maxBytes, deps.fetch?.maxBytes ?? Number.POSITIVE_INFINITY)
  const policy: MediaFetchOptions = {
    ...deps.fetch,
    allowPrivateHosts: deps.fetch?.allowPrivateHosts ?? config.media.allowPrivateUrls,
    maxBytes,
  }
  const media = createMediaService({
    db: deps.db,
    clock: deps.clock,
    logger: deps.logger,
    store,
    open: createMediaOpener(policy),
    signer: createUrlSigner(deps.appKey),
    publicUrl: config.publicUrl,
    expiryDays: config.media.expiryDays,
    maxBytes,
  })
  const received = createReceivedMedia({
    db: deps.db,
    clock: deps.clock,
    logger: deps.logger,
    store,
    engineOf: deps.engineOf,
    attempts: config.media.downloadAttempts,
    retryBaseMs: config.media.downloadRetryMs,
  })
  let timer: NodeJS.Timeout | null = null
  const round = () =>
    Promise.all([media.sweep(), received.retryDue()]).catch((error: unknown) =>
      deps.logger.error({ err: error }, 'media sweep failed'),
    )

  return {
    store,
    media,
    received,
    /** Downloads a URL whole, under the same policy (direct sends, sandbox contacts). */
    fetchMedia: createMediaFetcher(policy),

    start(): void {
      void round()
      timer = setInterval(() => void round(), config.media.sweepSeconds * 1000)
      timer.unref()
    },

    stop(): void {
      if (timer) clearInterval(timer)
      received.stop()
    },
  }
}

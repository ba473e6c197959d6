/**
 * The instance gateway: `instance-{id}.{base domain}` is bound to instance {id}. There the direct
 * endpoints answer at the root, and every platform endpoint answers both with and without `/api/v1`.
 */
export const API_PREFIX = '/api/v1'

const DIRECT_PATHS = new Set([
  '/status',
  '/qr',
  '/send-message',
  '/send-media',
  '/send-reaction',
  '/delete-message',
  '/groups',
  '/group/create',
  '/reconnect',
  '/logout',
])
const ROOT_PATHS = new Set(['/health', '/metrics', '/docs'])

export function isRootPath(pathname: string): boolean {
  if (DIRECT_PATHS.has(pathname) || ROOT_PATHS.has(pathname)) return true
  return /^\/group\/[^/]+\/metadata$/.test(pathname) || pathname.startsWith('/docs/')
}

export function parseInstanceHost(host: string | undefined, baseDomain: string): number | null {
  if (!host) return null
  const name = host.replace(/:\d+$/, '').toLowerCase()
  const suffix = `.${baseDomain.toLowerCase()}`
  if (!name.startsWith('instance-') || !name.endsWith(suffix)) return null
  const id = name.slice('instance-'.length, name.length - suffix.length)
  if (!/^\d{1,10}$/.test(id)) return null
  const value = Number(id)
  return value > 0 && value <= 2_147_483_647 ? value : null
}

/** Used as Fastify's `rewriteUrl`: on an instance host, `/tags` is served by `/api/v1/tags`. */
export function rewriteInstanceHostUrl(url: string, host: string | undefined, baseDomain: string): string {
  if (parseInstanceHost(host, baseDomain) === null) return url
  const pathname = url.split('?')[0] ?? url
  if (pathname === API_PREFIX || pathname.startsWith(`${API_PREFIX}/`) || isRootPath(pathname)) return url
  return API_PREFIX + url
}

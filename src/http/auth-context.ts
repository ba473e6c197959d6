import { notFound } from './errors.js'

/** Who is calling, set on every authenticated request; services take it as their first argument. */
export type AuthContext = UserAuth | InstanceAuth

interface BaseAuth {
  tenantId: number
  tokenId: number
  /** The instance the request is bound to: the sk_ token's, or the instance host's; null otherwise. */
  instanceId: number | null
  /**
   * Another process of this server forwarded the request here (it holds the instance the request
   * needs): it is answered here, whatever this process finds, and never forwarded again.
   */
  forwarded?: boolean
}

export interface UserAuth extends BaseAuth {
  kind: 'user'
  userId: number
  userName: string
  role: 'admin' | 'member'
}

export interface InstanceAuth extends BaseAuth {
  kind: 'instance'
  instanceId: number
  tokenName: string
}

/** What a route needs: nobody (public), a user's token, or any token (user or sk_). */
export type RouteAuth = 'public' | 'user' | 'any'

/** The display name of the caller, e.g. for `paused_by`. */
export function actorName(auth: AuthContext): string {
  return auth.kind === 'user' ? auth.userName : auth.tokenName
}

/**
 * Throws 404 when the caller is bound to another instance: whatever belongs to another instance
 * must look as if it did not exist.
 */
export function assertInstanceAccess(auth: AuthContext, instanceId: number, what = 'Resource'): void {
  if (auth.instanceId !== null && auth.instanceId !== instanceId) throw notFound(what)
}

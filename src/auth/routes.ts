import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import type { UserAuth } from '../http/auth-context.js'
import { authOf } from '../http/authenticate.js'
import { Done, errors, ok, Success } from '../http/envelope.js'
import { validationError } from '../http/errors.js'
import type { PasswordReset } from './password-reset.js'
import * as S from './schemas.js'
import type { AuthService, ClientInfo } from './service.js'
import type { TwoFactor } from './two-factor.js'

export interface AuthRoutesDeps {
  auth: AuthService
  twoFactor: TwoFactor
  passwordReset: PasswordReset
}

const tags = ['Authentication']

function client(request: FastifyRequest, deviceName?: string): ClientInfo {
  return { ip: request.ip, userAgent: request.headers['user-agent'] ?? null, deviceName }
}

function user(request: FastifyRequest): UserAuth {
  return authOf(request) as UserAuth
}

function assertConfirmed(body: { password: string; password_confirmation: string }): void {
  if (body.password !== body.password_confirmation) {
    throw validationError('password_confirmation', 'The password confirmation does not match.')
  }
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesDeps> = async (app, deps) => {
  const publicRoute = { auth: 'public' as const }
  const userRoute = { auth: 'user' as const }

  app.post(
    '/auth/register',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Create a tenant and its first user (role admin); answers a token',
        body: S.RegisterBody,
        response: { 201: Success(S.LoggedIn), ...errors('REGISTRATION_DISABLED', 'VALIDATION_ERROR') },
      },
    },
    async (request, reply) => {
      const body = request.body
      assertConfirmed(body)
      if (body.terms_accepted !== true) throw validationError('terms_accepted', 'The terms must be accepted.')
      const data = await deps.auth.register(body, client(request, body.device_name))
      return reply.status(201).send(ok(data, 'Registration successful'))
    },
  )

  app.post(
    '/auth/login',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Log in with e-mail and password',
        description:
          'Answers a user token, or `two_factor_required: true` when the account has two-factor login on (then call POST /auth/two-factor). Repeated failures for one e-mail lock it out for a while (429 TOO_MANY_ATTEMPTS).',
        body: S.LoginBody,
        response: {
          200: Type.Union([Success(S.LoggedIn), S.TwoFactorRequired]),
          ...errors('INVALID_CREDENTIALS', 'TOO_MANY_ATTEMPTS', 'FORBIDDEN'),
        },
      },
    },
    async (request) => {
      const data = await deps.auth.login(request.body, client(request, request.body.device_name))
      if (!data)
        return {
          success: true as const,
          two_factor_required: true as const,
          message: 'Two-factor verification required',
        }
      return ok(data, 'Login successful')
    },
  )

  app.post(
    '/auth/two-factor',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Complete a login with a TOTP code or a recovery code',
        description: 'Each TOTP code and each recovery code is accepted once.',
        body: S.TwoFactorLoginBody,
        response: {
          200: Success(S.LoggedIn),
          ...errors(
            'INVALID_CREDENTIALS',
            'INVALID_TWO_FACTOR_CODE',
            'TWO_FACTOR_NOT_ENABLED',
            'TOO_MANY_ATTEMPTS',
          ),
        },
      },
    },
    async (request) =>
      ok(
        await deps.auth.loginWithTwoFactor(request.body, client(request, request.body.device_name)),
        'Login successful',
      ),
  )

  app.get(
    '/auth/me',
    {
      config: userRoute,
      schema: {
        tags,
        summary: 'The authenticated user',
        response: { 200: Success(Type.Object({ user: S.User })), ...errors('UNAUTHENTICATED', 'FORBIDDEN') },
      },
    },
    async (request) => ok({ user: await deps.auth.me(user(request)) }),
  )

  app.patch(
    '/auth/me',
    {
      config: userRoute,
      schema: {
        tags,
        summary: 'Update name, locale (en, pt-BR, es) or time zone (IANA)',
        body: S.UpdateMeBody,
        response: { 200: Success(Type.Object({ user: S.User })), ...errors('UNAUTHENTICATED', 'FORBIDDEN') },
      },
    },
    async (request) => ok({ user: await deps.auth.updateMe(user(request), request.body) }, 'Profile updated'),
  )

  app.post(
    '/auth/logout',
    {
      config: userRoute,
      schema: {
        tags,
        summary: 'Revoke the current token',
        response: { 200: Done, ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => {
      await deps.auth.logout(user(request))
      return { success: true as const, message: 'Logged out' }
    },
  )

  app.post(
    '/auth/logout-all',
    {
      config: userRoute,
      schema: {
        tags,
        summary: 'Revoke every token of the user, the current one included',
        response: { 200: Success(Type.Object({ revoked: Type.Integer() })), ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => ok({ revoked: await deps.auth.logoutAll(user(request)) }, 'All sessions ended'),
  )

  app.post(
    '/auth/refresh',
    {
      config: userRoute,
      schema: {
        tags,
        summary: 'Exchange the current token for a new one',
        description: 'The old token stops working at once.',
        response: { 200: Success(S.IssuedToken), ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => ok(await deps.auth.refresh(user(request), client(request)), 'Token refreshed'),
  )

  app.get(
    '/auth/sessions',
    {
      config: userRoute,
      schema: {
        tags,
        summary: "The user's active sessions (tokens)",
        response: {
          200: Success(Type.Object({ sessions: Type.Array(S.Session) })),
          ...errors('UNAUTHENTICATED'),
        },
      },
    },
    async (request) => ok({ sessions: await deps.auth.listSessions(user(request)) }),
  )

  app.delete(
    '/auth/sessions/:id',
    {
      config: userRoute,
      schema: {
        tags,
        summary: 'Revoke one session',
        params: S.SessionParams,
        response: { 200: Done, ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => {
      await deps.auth.revokeSession(user(request), request.params.id)
      return { success: true as const, message: 'Session revoked' }
    },
  )

  app.post(
    '/auth/password/change',
    {
      config: userRoute,
      schema: {
        tags,
        summary: 'Change the password; every other session ends',
        body: S.ChangePasswordBody,
        response: { 200: Done, ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => {
      assertConfirmed(request.body)
      await deps.auth.changePassword(user(request), request.body)
      return { success: true as const, message: 'Password changed' }
    },
  )

  app.post(
    '/auth/password/forgot',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'E-mail a password reset token',
        description: 'Answers the same whether or not an account has this e-mail.',
        body: S.ForgotBody,
        response: { 200: Done, ...errors() },
      },
    },
    async (request) => {
      await deps.passwordReset.forgot(request.body.email, request.log)
      return {
        success: true as const,
        message: 'If an account exists for this e-mail, a reset link has been sent.',
      }
    },
  )

  app.post(
    '/auth/password/reset',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Set a new password with a reset token; every session ends',
        description: 'A reset token works once and expires (PASSWORD_RESET_TTL_MINUTES).',
        body: S.ResetBody,
        response: { 200: Done, ...errors('INVALID_RESET_TOKEN') },
      },
    },
    async (request) => {
      assertConfirmed(request.body)
      await deps.passwordReset.reset(request.body)
      return { success: true as const, message: 'Password reset' }
    },
  )

  app.post(
    '/auth/two-factor/enable',
    {
      config: userRoute,
      schema: {
        tags,
        summary: 'Start two-factor set-up: a TOTP secret and its QR code',
        description: 'Two-factor login is on only after POST /auth/two-factor/confirm with a valid code.',
        response: {
          200: Success(S.TwoFactorSetup),
          ...errors('UNAUTHENTICATED', 'TWO_FACTOR_ALREADY_ENABLED'),
        },
      },
    },
    async (request) =>
      ok(await deps.twoFactor.enable(user(request)), 'Scan the QR code, then confirm with a code'),
  )

  app.post(
    '/auth/two-factor/confirm',
    {
      config: userRoute,
      schema: {
        tags,
        summary: 'Confirm two-factor set-up with a code; answers one-time recovery codes',
        body: S.CodeBody,
        response: {
          200: Success(
            Type.Object({ two_factor_enabled: Type.Boolean(), recovery_codes: Type.Array(Type.String()) }),
          ),
          ...errors('UNAUTHENTICATED', 'TWO_FACTOR_ALREADY_ENABLED', 'TWO_FACTOR_NOT_ENABLED'),
        },
      },
    },
    async (request) =>
      ok(await deps.twoFactor.confirm(user(request), request.body.code), 'Two-factor login enabled'),
  )

  app.post(
    '/auth/two-factor/disable',
    {
      config: userRoute,
      schema: {
        tags,
        summary: 'Turn two-factor login off (password and a code required)',
        body: S.DisableTwoFactorBody,
        response: {
          200: Success(Type.Object({ two_factor_enabled: Type.Boolean() })),
          ...errors('UNAUTHENTICATED', 'TWO_FACTOR_NOT_ENABLED'),
        },
      },
    },
    async (request) =>
      ok(await deps.twoFactor.disable(user(request), request.body), 'Two-factor login disabled'),
  )
}

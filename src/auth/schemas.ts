import { Type } from '@sinclair/typebox'
import { Nullable } from '../http/schema.js'
import { MIN_PASSWORD_LENGTH } from './passwords.js'
import { LOCALES } from './service.js'

const Email = Type.String({
  format: 'email',
  maxLength: 255,
  description: 'E-mail address (case-insensitive)',
})
const NewPassword = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1024 })
const DeviceName = Type.Optional(
  Type.String({
    maxLength: 255,
    description: 'Names the session in GET /auth/sessions; the User-Agent otherwise',
  }),
)

export const User = Type.Object({
  id: Type.Integer(),
  uuid: Type.String(),
  name: Type.String(),
  email: Type.String(),
  role: Type.String({ enum: ['admin', 'member'] }),
  locale: Type.String(),
  timezone: Type.String(),
  email_verified: Type.Boolean(),
  two_factor_enabled: Type.Boolean(),
  tenant: Nullable(
    Type.Object({ id: Type.Integer(), uuid: Type.String(), name: Type.String(), status: Type.String() }),
  ),
  created_at: Type.String({ format: 'date-time' }),
})

export const IssuedToken = Type.Object({
  token: Type.String({ description: 'Bearer token `{id}|{secret}`; shown only here' }),
  token_type: Type.Literal('Bearer'),
  expires_at: Nullable(Type.String({ format: 'date-time' })),
})

export const LoggedIn = Type.Composite([Type.Object({ user: User }), IssuedToken])

export const TwoFactorRequired = Type.Object({
  success: Type.Literal(true),
  two_factor_required: Type.Literal(true),
  message: Type.String(),
})

export const LoginBody = Type.Object({
  email: Email,
  password: Type.String({ minLength: 1 }),
  device_name: DeviceName,
})

export const TwoFactorLoginBody = Type.Object({
  email: Email,
  password: Type.String({ minLength: 1 }),
  code: Type.String({
    minLength: 6,
    maxLength: 32,
    description: 'A 6-digit TOTP code or an unused recovery code',
  }),
  device_name: DeviceName,
})

export const RegisterBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  email: Email,
  password: NewPassword,
  password_confirmation: Type.String(),
  terms_accepted: Type.Boolean({ description: 'Must be true' }),
  device_name: DeviceName,
  tenant_name: Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: "The company's name" }),
  ),
})

export const UpdateMeBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  locale: Type.Optional(Type.String({ enum: [...LOCALES] })),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'An IANA time zone' })),
})

export const ForgotBody = Type.Object({ email: Email })

export const ResetBody = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 256 }),
  email: Email,
  password: NewPassword,
  password_confirmation: Type.String(),
})

export const ChangePasswordBody = Type.Object({
  current_password: Type.String({ minLength: 1 }),
  password: NewPassword,
  password_confirmation: Type.String(),
})

export const Session = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  last_used_at: Nullable(Type.String({ format: 'date-time' })),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Nullable(Type.String({ format: 'date-time' })),
  is_current: Type.Boolean(),
})

export const SessionParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) })

export const CodeBody = Type.Object({
  code: Type.String({ minLength: 6, maxLength: 6, pattern: '^\\d{6}$' }),
})

export const DisableTwoFactorBody = Type.Object({
  password: Type.String({ minLength: 1 }),
  code: Type.String({ minLength: 6, maxLength: 32, description: 'A TOTP code or a recovery code' }),
})

export const TwoFactorSetup = Type.Object({
  secret: Type.String({ description: 'Base32 TOTP secret, for manual entry' }),
  otpauth_url: Type.String(),
  qr_code: Type.String({ description: 'PNG data URL of the otpauth URL' }),
})

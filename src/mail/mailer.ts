import nodemailer from 'nodemailer'
import type { Logger } from 'pino'

export interface MailMessage {
  to: string
  subject: string
  text: string
}

export interface Mailer {
  send(message: MailMessage): Promise<void>
}

/**
 * How long the SMTP client waits, in milliseconds, instead of nodemailer's defaults (minutes, an
 * hour of socket inactivity). A query parameter of SMTP_URL with the same name overrides each.
 */
export const SMTP_TIMEOUTS = {
  /** For the TCP (or TLS) connection to open. */
  connectionTimeout: 10_000,
  /** For the server's greeting once connected. */
  greetingTimeout: 10_000,
  /** Of silence on an open connection. */
  socketTimeout: 30_000,
} as const

/** SMTP when configured; otherwise the mail goes to the log, so a local set-up can still reset passwords. */
export function createMailer(smtp: { url: string | null; from: string }, logger: Logger): Mailer {
  if (!smtp.url) {
    return {
      async send(message) {
        logger.info({ mail: message }, 'SMTP is not configured; e-mail written to the log')
      },
    }
  }
  const transport = nodemailer.createTransport({ ...SMTP_TIMEOUTS, url: smtp.url })
  return {
    async send(message) {
      await transport.sendMail({ from: smtp.from, ...message })
    },
  }
}

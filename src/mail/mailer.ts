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

/** SMTP when configured; otherwise the mail goes to the log, so a local set-up can still reset passwords. */
export function createMailer(smtp: { url: string | null; from: string }, logger: Logger): Mailer {
  if (!smtp.url) {
    return {
      async send(message) {
        logger.info({ mail: message }, 'SMTP is not configured; e-mail written to the log')
      },
    }
  }
  const transport = nodemailer.createTransport(smtp.url)
  return {
    async send(message) {
      await transport.sendMail({ from: smtp.from, ...message })
    },
  }
}

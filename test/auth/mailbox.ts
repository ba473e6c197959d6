import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  from: string
  to: string[]
  subject: string
  /** The decoded text body. */
  text: string
}

export interface Mailbox {
  /** `smtp://127.0.0.1:<port>`, for SMTP_URL. */
  url: string
  /** Every accepted message, in the order they were accepted. */
  mails: ReceivedMail[]
  /**
   * Resolves with `mails` once `count` messages in all have been accepted. The app sends its
   * e-mails in the background, so they may come in a little after the request has answered.
   */
  waitForMails(count: number, timeoutMs?: number): Promise<ReceivedMail[]>
  close(): Promise<void>
}

export interface MailboxOptions {
  /** Holds every message this long after its data came in before accepting it (a slow server). */
  acceptDelayMs?: number
  /** Called as each message is accepted. */
  onAccepted?(mail: ReceivedMail): void
}

/** Undoes the transfer encoding nodemailer chose for a text part. */
function decodeBody(body: string, encoding: string): string {
  switch (encoding.toLowerCase()) {
    case 'quoted-printable':
      return Buffer.from(
        body
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
        'latin1',
      ).toString('utf8')
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
    default:
      return Buffer.from(body, 'latin1').toString('utf8')
  }
}

/** Parses a single-part text message (what the app sends): headers, then the decoded body. */
export function parseMail(raw: string, envelope: { from: string; to: string[] }): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n')
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ')
  const body = raw.slice(split + 4)
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? ''
  return {
    from: envelope.from,
    to: envelope.to,
    subject: header('Subject'),
    text: decodeBody(body, header('Content-Transfer-Encoding')).replace(/\r\n/g, '\n'),
  }
}

/**
 * A real SMTP server on a random local port that keeps every message it receives. A message is
 * stored as the server accepts it (answers the DATA command), after `acceptDelayMs`.
 */
export async function startMailbox(options: MailboxOptions = {}): Promise<Mailbox> {
  const mails: ReceivedMail[] = []
  const waiters = new Set<() => void>()
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const envelope = session.envelope
        const mail = parseMail(Buffer.concat(chunks).toString('latin1'), {
          from: envelope.mailFrom ? envelope.mailFrom.address : '',
          to: envelope.rcptTo.map((r) => r.address),
        })
        setTimeout(() => {
          mails.push(mail)
          options.onAccepted?.(mail)
          for (const wake of waiters) wake()
          callback()
        }, options.acceptDelayMs ?? 0)
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitForMails(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (mails.length < count) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(mails)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`expected ${count} mails within ${timeoutMs} ms, got ${mails.length}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

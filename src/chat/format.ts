// WhatsApp text to HTML for chat UIs (DECISIONS §6). Every character of the message is escaped;
// the only markup in the result is the fixed set of tags written here, so nothing a sender types
// can reach the page as markup or break out of an attribute.

export interface Mention {
  /** Digits only: safe inside the data-phone attribute. */
  phone: string
  name: string | null
}

/** Answers the mention an `@digits` token stands for, or null when it is plain text. */
export type MentionResolver = (digits: string) => Mention | null

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!)
}

const STYLES: Record<string, string> = { '*': 'strong', _: 'em', '~': 'del' }
const WORD = /[\p{L}\p{N}_]/u
const SPACE = /\s/
const MENTION = /^@(\d{1,20})(?!\d)/
/** Deeper nesting than this is shown as typed; it bounds the work a crafted message can cause. */
const MAX_DEPTH = 6

function isWord(ch: string | undefined): boolean {
  return ch !== undefined && WORD.test(ch)
}

/** A style marker opens at a word's start: not inside a word, and not followed by a space. */
function opens(text: string, i: number): boolean {
  const next = text[i + 1]
  return !isWord(text[i - 1]) && next !== undefined && !SPACE.test(next) && next !== text[i]
}

/** The marker closing the one at `start` on the same line: after a non-space, not inside a word. */
function closing(text: string, start: number): number {
  const marker = text[start]
  for (let j = start + 2; j < text.length; j++) {
    const ch = text[j]
    if (ch === '\n') return -1
    if (ch === marker && !SPACE.test(text[j - 1]!) && !isWord(text[j + 1])) return j
  }
  return -1
}

function render(text: string, mention: MentionResolver, depth: number): string {
  let out = ''
  let plain = ''
  const flush = () => {
    out += escapeHtml(plain)
    plain = ''
  }
  // Where a marker was found to have no closer: no later marker of its kind on that line has one
  // either, so each line is searched once per marker (linear time whatever the message).
  const unclosedUntil: Record<string, number> = {}
  let noMoreCode = false
  let i = 0
  while (i < text.length) {
    const ch = text[i]!
    if (!noMoreCode && text.startsWith('```', i)) {
      const end = text.indexOf('```', i + 3)
      if (end < 0) noMoreCode = true
      if (end > i + 3) {
        flush()
        out += `<code>${escapeHtml(text.slice(i + 3, end))}</code>`
        i = end + 3
        continue
      }
    }
    const tag = STYLES[ch]
    if (tag && depth < MAX_DEPTH && i >= (unclosedUntil[ch] ?? 0) && opens(text, i)) {
      const end = closing(text, i)
      if (end < 0) {
        const lineEnd = text.indexOf('\n', i)
        unclosedUntil[ch] = lineEnd < 0 ? text.length : lineEnd
      }
      if (end > 0) {
        flush()
        out += `<${tag}>${render(text.slice(i + 1, end), mention, depth + 1)}</${tag}>`
        i = end + 1
        continue
      }
    }
    if (ch === '@' && !isWord(text[i - 1])) {
      const match = MENTION.exec(text.slice(i, i + 22))
      const found = match ? mention(match[1]!) : null
      if (match && found) {
        flush()
        const phone = found.phone.replace(/\D/g, '')
        out += `<span class="mention" data-phone="${phone}">@${escapeHtml(found.name ?? phone)}</span>`
        i += match[0].length
        continue
      }
    }
    plain += ch
    i++
  }
  flush()
  return out
}

/** The HTML of a message text: escaped, with mentions and WhatsApp's bold, italic, strike and mono. */
export function formatBody(text: string | null, mention: MentionResolver): string | null {
  return text === null ? null : render(text, mention, 0)
}

/** The `@digits` tokens of a text that may be mentions (for looking their names up in one go). */
export function mentionCandidates(text: string | null): string[] {
  if (!text) return []
  return [...text.matchAll(/(?<![\p{L}\p{N}_])@(\d{1,20})(?!\d)/gu)].map((m) => m[1]!)
}

import { describe, expect, it } from 'vitest'
import { escapeHtml, formatBody, type MentionResolver } from '../../src/chat/format.js'

const names: Record<string, string> = {
  '5521999999999': 'John Doe',
  '5511988887777': '<img src=x onerror=alert(1)>',
}
const mention: MentionResolver = (digits) =>
  digits.length >= 7 && digits.length <= 15 ? { phone: digits, name: names[digits] ?? null } : null
const format = (text: string) => formatBody(text, mention)

/** Every tag in the output is one the formatter writes; nothing else can be markup. */
function onlyOwnTags(html: string): boolean {
  const tags = html.match(/<[^>]*>/g) ?? []
  return tags.every((tag) =>
    /^<(\/?(strong|em|del|code|span)|span class="mention" data-phone="\d+")>$/.test(tag),
  )
}

describe('formatted_body', () => {
  it('escapes markup, so that nothing from a message reaches the page', () => {
    const cases = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '"><svg onload=alert(1)>',
      "'><iframe src=javascript:alert(1)>",
      '&lt;already escaped&gt;',
      '*<b>bold markup</b>*',
      '```<script>in code</script>```',
      '_"quoted" & \'single\'_',
    ]
    for (const text of cases) {
      const html = format(text)!
      expect(onlyOwnTags(html), `${text} -> ${html}`).toBe(true)
      expect(html).not.toMatch(/<(script|img|svg|iframe|b)\b/i)
    }
    expect(format('"><svg onload=alert(1)>')).toBe('&quot;&gt;&lt;svg onload=alert(1)&gt;')
    expect(format('&lt;')).toBe('&amp;lt;')
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;')
  })

  it('resolves mentions to names, or shows the number of an unknown one', () => {
    expect(format('Hello @5521999999999!')).toBe(
      'Hello <span class="mention" data-phone="5521999999999">@John Doe</span>!',
    )
    expect(format('Ask @5521000000001')).toBe(
      'Ask <span class="mention" data-phone="5521000000001">@5521000000001</span>',
    )
    // A name is text: escaped inside the span, never markup.
    const evil = format('cc @5511988887777')!
    expect(evil).toBe(
      'cc <span class="mention" data-phone="5511988887777">@&lt;img src=x onerror=alert(1)&gt;</span>',
    )
    expect(onlyOwnTags(evil)).toBe(true)
    // Not a mention: an e-mail, too few digits, digits running on.
    expect(format('mail me at a@5521999999999')).toBe('mail me at a@5521999999999')
    expect(format('room @12')).toBe('room @12')
    expect(format('@5521999999999123456789')).toBe('@5521999999999123456789')
    expect(format('@5521999999999')).toBe('<span class="mention" data-phone="5521999999999">@John Doe</span>')
  })

  it("turns WhatsApp's markers into tags, only where WhatsApp would", () => {
    expect(format('*bold* _italic_ ~strike~ ```mono```')).toBe(
      '<strong>bold</strong> <em>italic</em> <del>strike</del> <code>mono</code>',
    )
    expect(format('*bold _nested_ here*')).toBe('<strong>bold <em>nested</em> here</strong>')
    expect(format('_*both*_')).toBe('<em><strong>both</strong></em>')
    expect(format('*hi @5521999999999*')).toBe(
      '<strong>hi <span class="mention" data-phone="5521999999999">@John Doe</span></strong>',
    )
    // Unmatched, empty, spaced or inside words: left as typed.
    for (const text of [
      '*unmatched',
      'unmatched_',
      '**',
      '* spaced *',
      'snake_case_name',
      '2*3*4',
      'a~b~c',
    ]) {
      expect(format(text), text).toBe(escapeHtml(text))
    }
    // A marker does not span lines; code keeps its markers and mentions as text.
    expect(format('*one\ntwo*')).toBe('*one\ntwo*')
    expect(format('```*not bold* @5521999999999```')).toBe('<code>*not bold* @5521999999999</code>')
    expect(format('```unclosed *bold*')).toBe('```unclosed <strong>bold</strong>')
    expect(format('(*fine*).')).toBe('(<strong>fine</strong>).')
  })

  it('answers null for a message without text, and stays fast on hostile input', () => {
    expect(formatBody(null, mention)).toBeNull()
    for (const text of ['*a '.repeat(1365), '*_~'.repeat(1365), '_'.repeat(4096), '```'.repeat(1365)]) {
      const started = performance.now()
      const html = format(text)!
      // Linear work takes milliseconds; runaway backtracking on these takes far more than this.
      expect(performance.now() - started).toBeLessThan(2000)
      expect(onlyOwnTags(html)).toBe(true)
    }
  })
})

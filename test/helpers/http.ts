import http from 'node:http'

export interface HttpResponse<T = any> {
  status: number
  headers: http.IncomingHttpHeaders
  text: string
  body: T
}

export interface RequestOptions {
  body?: unknown
  /** Sent as-is, for malformed-body tests. */
  rawBody?: string | Buffer
  token?: string
  headers?: Record<string, string>
}

/** A real HTTP request to the server under test (any header allowed, `Host` included). */
export function httpRequest(baseUrl: string, method: string, path: string, options: RequestOptions = {}) {
  const url = new URL(path, baseUrl)
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
  let payload: string | Buffer | undefined
  if (options.rawBody !== undefined) payload = options.rawBody
  else if (options.body !== undefined) {
    payload = JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  if (options.token) headers['authorization'] = `Bearer ${options.token}`
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload))

  return new Promise<HttpResponse>((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown = text
        if ((res.headers['content-type'] ?? '').includes('json') && text) {
          try {
            body = JSON.parse(text)
          } catch {
            body = text
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    if (payload !== undefined) req.write(payload)
    req.end()
  })
}

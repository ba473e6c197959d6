import type { UrlSigner } from './signing.js'
import type { Media } from './table.js'

/** The signed link to an upload's file, valid until the upload expires. */
export function fileUrl(row: Media, signer: UrlSigner, publicUrl: string): string | null {
  if (!row.expires_at) return null
  const expires = Math.floor(Date.parse(row.expires_at) / 1000)
  return `${publicUrl}/api/v1/media/${row.uuid}/file?expires=${expires}&signature=${signer.sign(row.uuid, expires)}`
}

/** An upload as the web docs show it (`id` is the uuid, as for other entities shown by uuid). */
export function presentMedia(row: Media, signer: UrlSigner, publicUrl: string) {
  return {
    id: row.uuid,
    uuid: row.uuid,
    numeric_id: row.id,
    url: fileUrl(row, signer, publicUrl),
    type: row.kind,
    mime_type: row.mime_type,
    size: row.size ?? 0,
    filename: row.filename,
    sha256: row.sha256,
    created_at: row.created_at,
    expires_at: row.expires_at,
  }
}

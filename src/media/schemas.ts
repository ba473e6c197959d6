import { Type } from '@sinclair/typebox'
import { Nullable } from '../http/schema.js'
import { MEDIA_KINDS } from './formats.js'

export const MediaParams = Type.Object({
  id: Type.String({ description: 'The media id (its uuid, optionally prefixed `media_`) or its integer id' }),
})

export const MediaInfo = Type.Object({
  id: Type.String({ description: 'The media uuid; pass it as `media_id` to `POST /messages/send-media`' }),
  uuid: Type.String(),
  numeric_id: Type.Integer(),
  url: Nullable(
    Type.String({
      description:
        'Signed link to the file, served by this server with its Content-Type; works without a token until `expires_at`',
    }),
  ),
  type: Type.String({ enum: [...MEDIA_KINDS] }),
  mime_type: Type.String({ description: "Detected from the file's bytes" }),
  size: Type.Integer({ description: 'Bytes' }),
  filename: Nullable(Type.String()),
  sha256: Nullable(Type.String({ description: 'Hex SHA-256 of the bytes' })),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Nullable(Type.String({ format: 'date-time' })),
})

/** Documents the multipart form for OpenAPI; the route reads the parts as a stream instead. */
export const UploadForm = Type.Object({
  file: Type.String({ format: 'binary', description: 'The file (one per request)' }),
  type: Type.Optional(
    Type.String({
      enum: [...MEDIA_KINDS],
      description: "Optional: detected from the file's bytes; a type that contradicts them is refused (422)",
    }),
  ),
})

export const SignedQuery = Type.Object({
  expires: Type.Integer({ description: 'Seconds since the epoch when the link stops working' }),
  signature: Type.String({ maxLength: 128 }),
})

export const UPLOAD_DESCRIPTION = `Send \`multipart/form-data\` with the field \`file\` and optionally \`type\` (image, video, audio, document).

The type is detected from the file's bytes, never from its name or the Content-Type the client gives. Limits and formats:

| type | max size | formats |
| --- | --- | --- |
| image | 16 MB | JPEG, PNG, GIF, WebP |
| video | 64 MB | MP4, 3GPP, QuickTime |
| audio | 16 MB | MP3, OGG, Opus, WAV, AAC (also in .m4a) |
| document | 100 MB | PDF, DOC(X), XLS(X), PPT(X), TXT, CSV |

Text has no signature: a TXT or CSV file is accepted when its name says so and every byte is UTF-8 text. Old Office files (DOC, XLS, PPT) share one container format: the bytes must be that container and the name tells which. A larger file is refused with \`413 FILE_TOO_LARGE\` as soon as the limit is crossed; another format, or a \`type\` that contradicts the bytes, with \`422 UNSUPPORTED_MEDIA_TYPE\`.

The answer's \`url\` is a signed link served by this server: anyone holding it can download the file, without a token, until \`expires_at\` (7 days by default, \`MEDIA_EXPIRY_DAYS\`). Then the file is deleted. Send it with \`POST /messages/send-media\` and \`media_id\`.`

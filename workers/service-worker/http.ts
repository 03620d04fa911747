/**
 * HTTP on OpenAI's terms: JSON bodies, errors as `{ error: { message, type,
 * param, code } }` with the ApiError's status, and streams as server-sent events.
 */
import { ApiError, MAX_BODY_BYTES, invalidRequest, payloadTooLarge } from '../../src/protocol/index.ts';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache',
};

/** The event that ends every successful stream, as OpenAI sends it. */
export const SSE_DONE = 'data: [DONE]\n\n';

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

export function errorResponse(error: ApiError, extraHeaders: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(error.toJSON()), { status: error.status, headers: { ...JSON_HEADERS, ...extraHeaders } });
}

/** One server-sent event. JSON.stringify escapes newlines, so the payload is always a single `data:` line. */
export function sseEvent(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/**
 * A request body as text, read no further than `maxBytes`: past that it is a
 * 413, whatever the client keeps sending.
 */
export async function readBody(request: Request, maxBytes = MAX_BODY_BYTES): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw payloadTooLarge(`The request body is over ${maxBytes} bytes; no valid request is that large.`);
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** The raw JSON of a request body, or a 400 saying why it is not JSON. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? ` (${error.message})` : '';
    throw invalidRequest(
      `We could not parse the JSON body of your request${reason}. Send a JSON object with 'Content-Type: application/json'.`,
      null,
      'invalid_json',
    );
  }
}

/** The `model` field of a parsed body, when there is one; the client validates it properly. */
export function requestedModel(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const model = (body as { model?: unknown }).model;
  return typeof model === 'string' ? model : null;
}

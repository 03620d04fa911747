import type { DeepSeekClient } from '../../api/client.ts';

let current: DeepSeekClient | null = null;

/** The UI talks to the engine only through the public client, the same one `window.deepseek` exposes. */
export function connectClient(client: DeepSeekClient): void {
  current = client;
}

export function client(): DeepSeekClient {
  if (!current) throw new Error('The API client is not connected yet.');
  return current;
}

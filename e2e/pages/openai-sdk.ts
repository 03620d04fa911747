/**
 * Test-only page (in `--mode test` builds, never in production): the official
 * openai SDK, unmodified, pointed at the app's own origin, where the service
 * worker serves /v1. It has no engine of its own.
 */
import OpenAI from 'openai';
import { registerServiceWorker } from '../../src/service-worker-registration.ts';

declare global {
  interface Window {
    OpenAI: typeof OpenAI;
    openai: OpenAI;
  }
}

window.OpenAI = OpenAI;
window.openai = new OpenAI({ baseURL: new URL('/v1', location.origin).href, apiKey: 'unused', dangerouslyAllowBrowser: true });
registerServiceWorker();

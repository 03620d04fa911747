import { mount } from 'svelte';
import { createClient, type DeepSeekClient } from './api/client.ts';
import { startHttpBridge } from './api/http-bridge.ts';
import { updateState } from './pwa/update.svelte.ts';
import { registerServiceWorker } from './service-worker-registration.ts';
import App from './ui/App.svelte';
import { connectClient } from './ui/state/client.ts';
// Bundled, so the app looks the same everywhere and needs no font CDN offline.
import '@fontsource-variable/inter';
import '@fontsource-variable/jetbrains-mono';
import './ui/styles.css';
import './ui/markdown/highlight.css';

declare global {
  interface Window {
    /** The OpenAI-shaped in-page API; see the README. */
    deepseek: DeepSeekClient;
  }
}

const client = createClient();
window.deepseek = client;
connectClient(client);
// The service worker serves an OpenAI-compatible HTTP API on this origin (/v1) by forwarding to this page's
// client, and the precached app shell offline. The bridge listens before registering ends, so no call waits on it.
if ('serviceWorker' in navigator) startHttpBridge(client);
void registerServiceWorker().then((registration) => registration && updateState.watch(registration, client));

mount(App, { target: document.getElementById('app')! });

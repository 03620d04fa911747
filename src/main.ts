import { mount } from 'svelte';
import { createClient, type DeepSeekClient } from './api/client.ts';
import App from './ui/App.svelte';
import { connectClient } from './ui/state/client.ts';
import './ui/styles.css';

declare global {
  interface Window {
    /** The OpenAI-shaped in-page API; see the README. */
    deepseek: DeepSeekClient;
  }
}

const client = createClient();
window.deepseek = client;
connectClient(client);

mount(App, { target: document.getElementById('app')! });

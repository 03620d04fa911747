/**
 * embed.html: the compact chat other sites embed in an iframe. It runs the
 * playground's engine and client (src/api) and its markdown rendering and
 * sanitizing (src/ui/markdown); src/embed/host-link.ts lets an allowed host
 * page drive the same API through the SDK (src/widget-sdk).
 */
import { mount } from 'svelte';
import { createClient } from '../api/client.ts';
import EmbedApp from './components/EmbedApp.svelte';
import { applyAppearance } from './appearance.ts';
import { listenForHost } from './host-link.ts';
import { widgetState } from './widget.svelte.ts';
import '@fontsource-variable/inter';
import '@fontsource-variable/jetbrains-mono';
import '../ui/styles.css';
import '../ui/markdown/highlight.css';

const client = createClient();
// Listening first: the host's hello may come as soon as the frame has loaded.
listenForHost(client, (options) => {
  widgetState.options = options;
  applyAppearance(options);
});
void widgetState.init(client);
mount(EmbedApp, { target: document.getElementById('widget')! });

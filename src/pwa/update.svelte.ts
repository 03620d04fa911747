/**
 * App updates. A new service worker installs in the background and waits (see
 * workers/service-worker.ts); this offers **Reload**. Pressing it lets the new
 * version take over only once nothing loads or generates, in any caller of the
 * client, then reloads this page. So an update never cuts an answer short.
 */
import type { DeepSeekClient } from '../api/client.ts';
import { ACTIVATE_UPDATE, type ActivateUpdate } from './update-messages.ts';

/** An installed app can stay open for days, so it looks for a new version now and then. */
const CHECK_EVERY_MS = 60 * 60 * 1000;

class UpdateState {
  /** A new version is installed and waiting. */
  available = $state(false);
  /** Reload was pressed while something ran: the page reloads when that ends. */
  waitingForIdle = $state(false);
  private registration: ServiceWorkerRegistration | null = null;
  private client: DeepSeekClient | null = null;

  watch(registration: ServiceWorkerRegistration, client: DeepSeekClient): void {
    this.registration = registration;
    this.client = client;
    // With no controller this is the first install, which takes over by itself: nothing to offer.
    const offer = () => {
      if (registration.waiting && navigator.serviceWorker.controller) this.available = true;
    };
    offer();
    registration.addEventListener('updatefound', () => {
      const installing = registration.installing;
      installing?.addEventListener('statechange', () => installing.state === 'installed' && offer());
    });
    setInterval(() => void registration.update().catch(() => undefined), CHECK_EVERY_MS);
  }

  async reload(): Promise<void> {
    if (!this.client || this.waitingForIdle) return;
    this.waitingForIdle = this.client.busy;
    await this.client.whenIdle();
    const waiting = this.registration?.waiting;
    if (!waiting) {
      location.reload();
      return;
    }
    navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
    waiting.postMessage({ kind: ACTIVATE_UPDATE } satisfies ActivateUpdate);
  }
}

export const updateState = new UpdateState();

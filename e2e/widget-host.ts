/**
 * Mounting the widget from the host page (e2e/pages/widget-host.html) the way
 * another site does: the host SDK imported from the app's origin, then
 * `DeepSeekWidget.mount` with that origin's `embed.html`.
 */
import type { Page } from '@playwright/test';

interface HostWindow {
  sdk: typeof import('../src/widget-sdk/index.ts');
  widget: import('../src/widget-sdk/index.ts').Widget;
  resizes: number[];
  events: string[];
}

declare global {
  interface Window extends Partial<HostWindow> {}
}

/** Opens the host page on `host`, with the app at `app`, and mounts the widget; resolves with the mount's error message, or null. */
export async function mountWidget(page: Page, host: string, app: string, options: Record<string, unknown> = {}, query = ''): Promise<string | null> {
  await page.goto(`${host}/?app=${encodeURIComponent(app)}${query}`);
  await page.waitForFunction(() => window.sdk !== undefined);
  return page.evaluate(
    async ({ app, options }) => {
      window.resizes = [];
      window.events = [];
      try {
        const widget = await window.sdk!.DeepSeekWidget.mount(document.getElementById('widget')!, { src: `${app}/embed.html`, ...options });
        window.widget = widget;
        widget.on('resize', ({ height }) => window.resizes!.push(height));
        widget.on('ready', (model) => window.events!.push(`ready ${model.id}`));
        widget.on('progress', (progress) => window.events!.push(`progress ${progress.stage}`));
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    },
    { app, options },
  );
}

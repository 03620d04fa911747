import { defineConfig } from '@playwright/test';

// Overridable so that several checkouts or agents can run suites side by side.
const PORT = Number(process.env.E2E_PORT ?? 4173);
const OUT_DIR = process.env.E2E_OUT_DIR ?? 'dist-test';
/** The widget's host page, on a second origin (e2e/widget-host-server.ts). */
const HOST_PORT = Number(process.env.E2E_HOST_PORT ?? PORT + 10);

/**
 * End-to-end tests in Debian's Chromium (Playwright cannot download browsers
 * here). WebGPU comes from --enable-unsafe-webgpu; on machines without a GPU the
 * adapter is SwiftShader: correct but slow, so WebGPU generations stay short.
 */
export default defineConfig({
  testDir: 'e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // The JSON report feeds the pass/fail total that `npm test` prints.
  reporter: [['list'], ['json', { outputFile: process.env.E2E_REPORT ?? '.test-output/e2e.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--enable-unsafe-webgpu',
        '--no-sandbox',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: `npx vite build --mode test --outDir ${OUT_DIR} --logLevel warn && npx vite preview --outDir ${OUT_DIR} --host 127.0.0.1 --port ${PORT} --strictPort`,
      url: `http://127.0.0.1:${PORT}`,
      // The test build lets the host page on `localhost` drive the widget; `127.0.0.1` on that port stays refused.
      env: { DEEPSEEK_WIDGET_ORIGINS: `http://localhost:${HOST_PORT}` },
      timeout: 180_000,
      reuseExistingServer: !process.env.CI,
    },
    {
      command: `npx tsx e2e/widget-host-server.ts`,
      url: `http://127.0.0.1:${HOST_PORT}`,
      env: { E2E_HOST_PORT: String(HOST_PORT) },
      timeout: 30_000,
      reuseExistingServer: !process.env.CI,
    },
  ],
});

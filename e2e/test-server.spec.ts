import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

/** The suites test the build their own config starts, never a server that happened to listen on the port. */

test('the suite runs against its own test build, on the port the config chose', async ({ page, baseURL }) => {
  expect(new URL(baseURL!).port).toBe(process.env.E2E_PORT);
  // Only a test-mode build of this checkout has the openai SDK page.
  const response = await page.request.get('/e2e/pages/openai-sdk.html');
  expect(response.status()).toBe(200);
});

test('a taken E2E_PORT is refused, not reused', async () => {
  const stranger: Server = createServer((_, response) => response.end('someone else'));
  await new Promise<void>((resolve) => stranger.listen(0, '127.0.0.1', resolve));
  const address = stranger.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const scratch = mkdtempSync(join(tmpdir(), 'e2e-refuse-'));
  try {
    // Asynchronous, so that this process's stranger keeps answering while the inner run looks at the port.
    const run = await new Promise<{ failed: boolean; output: string }>((resolve) =>
      execFile(
        'npx',
        // Its own output folder: Playwright empties it at the start, and test-results/ holds this run's screenshots.
        ['playwright', 'test', 'e2e/test-server.spec.ts', '--grep', 'its own test build', '--output', join(scratch, 'results')],
        {
          timeout: 120_000,
          env: { ...process.env, E2E_PORT: String(port), E2E_OUT_DIR: join(scratch, 'dist'), E2E_REPORT: join(scratch, 'report.json') },
        },
        (error, stdout, stderr) => resolve({ failed: error !== null, output: stdout + stderr }),
      ),
    );
    expect(run.failed).toBe(true);
    expect(run.output).toContain(`127.0.0.1:${port} is already used`);
  } finally {
    stranger.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});

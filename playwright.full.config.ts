import { defineConfig } from '@playwright/test';
import base from './playwright.config.ts';

/**
 * `npm run test:full`: end-to-end checks on the full-size model
 * (`npm run fixtures:full` writes it). Not part of `npm test`: a 1.35 GB
 * model loads in minutes on a 2-core machine.
 */
export default defineConfig({
  ...base,
  testDir: 'e2e-full',
  timeout: 60 * 60_000,
  expect: { timeout: 30 * 60_000 },
  reporter: [['list']],
});

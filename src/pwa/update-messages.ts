/**
 * What a page says to a waiting service worker: the user pressed Reload, and
 * nothing was generating, so the new version may take over now.
 */
export const ACTIVATE_UPDATE = 'deepseek-activate-update';

export interface ActivateUpdate {
  kind: typeof ACTIVATE_UPDATE;
}

export function isActivateUpdate(value: unknown): value is ActivateUpdate {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === ACTIVATE_UPDATE;
}

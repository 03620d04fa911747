import type { HostStatus } from '../../src/api/http-bridge-messages.ts';

/** An engine page that answered the status call, with what the browser says about its window. */
export interface EngineHost {
  clientId: string;
  focused: boolean;
  visible: boolean;
  /** When the page last announced itself (on start, focus or becoming visible): later means more recently used. */
  announcedAt: number;
  status: HostStatus;
}

/**
 * The order to try engine pages in: one that has `model` loaded first (any page
 * could answer, but only that one without a 404), then one with any model
 * loaded, then the focused page, a visible one, the most recently used.
 */
export function rankHosts(hosts: readonly EngineHost[], model: string | null): EngineHost[] {
  const key = (host: EngineHost) => [
    model !== null && host.status.loaded?.id === model ? 1 : 0,
    host.status.loaded ? 1 : 0,
    host.focused ? 1 : 0,
    host.visible ? 1 : 0,
    host.announcedAt,
  ];
  return [...hosts].sort((a, b) => {
    const [keyA, keyB] = [key(a), key(b)];
    const differing = keyA.findIndex((value, index) => value !== keyB[index]);
    return differing === -1 ? 0 : keyB[differing] - keyA[differing];
  });
}

/**
 * The pages that can serve HTTP requests: every app page announces itself, and
 * a request goes to the best live one. The browser stops idle service workers
 * and this list goes with it, so an empty list calls the roll again.
 */
import { BRIDGE, type BridgeCall, type HostAnnouncement } from '../../src/api/http-bridge-messages.ts';
import { BridgeConnection } from './bridge-connection.ts';
import { rankHosts, type EngineHost } from './host-ranking.ts';

/** A live page answers a status call within milliseconds; one that does not is skipped. */
const STATUS_TIMEOUT_MS = 1000;
/** How long engine pages get to answer a roll call. */
const ROLL_CALL_TIMEOUT_MS = 500;

export class EngineHosts {
  /** Client id → when it last announced itself. */
  private readonly announced = new Map<string, number>();
  private readonly arrivalListeners = new Set<() => void>();

  constructor(private readonly clients: Clients) {}

  onAnnouncement(clientId: string, announcement: HostAnnouncement): void {
    if (announcement.kind === 'host-gone') {
      this.announced.delete(clientId);
      return;
    }
    this.announced.set(clientId, Date.now());
    for (const listener of this.arrivalListeners) listener();
  }

  forget(clientId: string): void {
    this.announced.delete(clientId);
  }

  /** Opens a call to one page, on behalf of the client `requesterId`; null if the page is gone. */
  async connect(clientId: string, call: BridgeCall, requesterId: string | null): Promise<BridgeConnection | null> {
    const host = await this.clients.get(clientId);
    return host ? new BridgeConnection(host, call, this.clients, requesterId) : null;
  }

  /** Engine pages that answer now, best first for `model`; empty when none is open. */
  async available(model: string | null): Promise<EngineHost[]> {
    let pages = await this.announcedPages();
    if (pages.length === 0) {
      await this.rollCall();
      pages = await this.announcedPages();
    }
    const described = await Promise.all(pages.map((page) => this.describe(page)));
    return rankHosts(
      described.filter((host): host is EngineHost => host !== null),
      model,
    );
  }

  private async announcedPages(): Promise<WindowClient[]> {
    const pages = await this.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const live = new Set(pages.map((page) => page.id));
    for (const id of this.announced.keys()) if (!live.has(id)) this.announced.delete(id);
    return pages.filter((page) => this.announced.has(page.id));
  }

  /** Asks every page to announce itself; done when all answered, or at the timeout (only app pages answer). */
  private async rollCall(): Promise<void> {
    const pages = await this.clients.matchAll({ type: 'window', includeUncontrolled: true });
    if (pages.length === 0) return;
    let wake = () => {};
    const everyoneAnswered = new Promise<void>((resolve) => (wake = resolve));
    const onArrival = () => {
      if (pages.every((page) => this.announced.has(page.id))) wake();
    };
    this.arrivalListeners.add(onArrival);
    const call: BridgeCall = { bridge: BRIDGE, kind: 'roll-call' };
    for (const page of pages) page.postMessage(call);
    const timer = setTimeout(wake, ROLL_CALL_TIMEOUT_MS);
    await everyoneAnswered;
    clearTimeout(timer);
    this.arrivalListeners.delete(onArrival);
  }

  private async describe(page: WindowClient): Promise<EngineHost | null> {
    const connection = new BridgeConnection(page, { bridge: BRIDGE, kind: 'status' }, this.clients);
    const reply = await connection.next(STATUS_TIMEOUT_MS);
    connection.close();
    if (reply?.kind !== 'status') {
      this.announced.delete(page.id);
      return null;
    }
    return {
      clientId: page.id,
      focused: page.focused,
      visible: page.visibilityState === 'visible',
      announcedAt: this.announced.get(page.id) ?? 0,
      status: reply.status,
    };
  }
}

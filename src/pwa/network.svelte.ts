/** Whether the browser believes it is online; the library and the load notice speak differently offline. */
class NetworkState {
  online = $state(navigator.onLine);

  constructor() {
    window.addEventListener('online', () => (this.online = true));
    window.addEventListener('offline', () => (this.online = false));
  }
}

export const networkState = new NetworkState();

/** The keys of the Prompt and Code infill views: Ctrl/Cmd+Enter starts a run, Escape stops the one in progress. */
export function runKeys(start: () => void, running: () => boolean, stop: () => void): (event: KeyboardEvent) => void {
  return (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      start();
    } else if (event.key === 'Escape' && running()) {
      event.preventDefault();
      stop();
    }
  };
}

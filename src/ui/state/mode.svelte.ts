export const MODES = [
  { id: 'chat', label: 'Chat' },
  { id: 'prompt', label: 'Prompt' },
  { id: 'infill', label: 'Code infill' },
] as const;

export type Mode = (typeof MODES)[number]['id'];

const STORAGE_KEY = 'deepseek-coder-web:mode';

function restore(): Mode {
  const saved = localStorage.getItem(STORAGE_KEY);
  return MODES.find((mode) => mode.id === saved)?.id ?? 'chat';
}

/** Which of the three playgrounds the main area shows; remembered across reloads. */
class ModeState {
  current = $state<Mode>(restore());

  constructor() {
    $effect.root(() => {
      $effect(() => localStorage.setItem(STORAGE_KEY, this.current));
    });
  }
}

export const modeState = new ModeState();

export const THEMES = ['system', 'light', 'dark'] as const;
export type ThemeChoice = (typeof THEMES)[number];

const STORAGE_KEY = 'deepseek-coder-web:theme';

function restore(): ThemeChoice {
  const saved = localStorage.getItem(STORAGE_KEY);
  return THEMES.find((theme) => theme === saved) ?? 'system';
}

/**
 * Light, dark, or whatever the system prefers. The choice lands on
 * `<html data-theme>`, where styles.css picks `color-scheme` and so every
 * `light-dark()` colour; 'system' leaves both to the media query.
 */
class ThemeState {
  choice = $state<ThemeChoice>(restore());

  constructor() {
    $effect.root(() => {
      $effect(() => {
        localStorage.setItem(STORAGE_KEY, this.choice);
        document.documentElement.dataset.theme = this.choice;
      });
    });
  }
}

export const themeState = new ThemeState();

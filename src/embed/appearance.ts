import type { WidgetOptions } from '../protocol/index.ts';

/** Black or white, whichever reads better on the accent (WCAG relative luminance). */
function inkOn(hex: string): string {
  const digits = hex.length === 4 ? [...hex.slice(1)].map((digit) => digit + digit) : [hex.slice(1, 3), hex.slice(3, 5), hex.slice(5, 7)];
  const [r, g, b] = digits.map((pair) => {
    const channel = parseInt(pair, 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return luminance > 0.179 ? '#000' : '#fff';
}

/** The host's theme (light, dark, or the system's) and accent colour, on the widget's root. */
export function applyAppearance({ theme, accent }: WidgetOptions): void {
  const root = document.documentElement;
  root.dataset.theme = theme === 'light' || theme === 'dark' ? theme : 'system';
  if (accent) {
    root.style.setProperty('--accent', accent);
    root.style.setProperty('--accent-2', accent);
    root.style.setProperty('--accent-ink', inkOn(accent));
  }
}

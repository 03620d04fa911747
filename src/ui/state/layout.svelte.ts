const STORAGE_KEY = 'deepseek-coder-web:layout';

interface SavedLayout {
  settingsOpen: boolean;
  /** Settings sections the user folded away. */
  collapsed: string[];
}

function restore(): SavedLayout {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    if (saved && typeof saved === 'object') {
      const { settingsOpen, collapsed } = saved as Partial<SavedLayout>;
      return {
        settingsOpen: settingsOpen !== false,
        collapsed: Array.isArray(collapsed) ? collapsed.filter((name): name is string => typeof name === 'string') : [],
      };
    }
  } catch {
    // A damaged entry is no reason not to start: the defaults follow.
  }
  return { settingsOpen: true, collapsed: [] };
}

/**
 * How the app frame is laid out: the settings column on wide screens, which of
 * its sections are folded (both remembered), and whether the main area shows
 * the model library instead of the playground.
 */
class LayoutState {
  private readonly saved = restore();
  settingsOpen = $state(this.saved.settingsOpen);
  collapsed = $state<string[]>(this.saved.collapsed);
  libraryOpen = $state(false);

  constructor() {
    $effect.root(() => {
      $effect(() => localStorage.setItem(STORAGE_KEY, JSON.stringify({ settingsOpen: this.settingsOpen, collapsed: this.collapsed })));
    });
  }

  isOpen(section: string): boolean {
    return !this.collapsed.includes(section);
  }

  toggleSection(section: string): void {
    this.collapsed = this.isOpen(section) ? [...this.collapsed, section] : this.collapsed.filter((name) => name !== section);
  }
}

export const layoutState = new LayoutState();

/**
 * The administration sections: each module adds its own (label, link, place in the list), and the admin
 * layout's MOJ sub navigation and the dashboard at /admin are built from them, so no list of sections
 * has to be kept in step with the modules by hand.
 */

export interface AdminSection {
  /** The link text in the sub navigation, e.g. "Routing rules". */
  label: string;
  /** Where the section starts, under /admin. */
  href: string;
  /** Place in the sub navigation: lower first. */
  order: number;
  /**
   * Whether pages below href (href/...) mark this section as the current one. Default true; false where
   * another section lives below it (the test bench at /admin/routing/test is not a routing rule page).
   */
  coversSubpaths?: boolean;
  /** The section's line on the dashboard (/admin); sections without one are in the sub navigation only. */
  dashboard?: {
    /** The link text there, when it differs from label. */
    label?: string;
    /** What follows the link, e.g. "3 set up. What residents can report...". May count things. */
    describe: () => string | Promise<string>;
  };
}

export interface AdminNavigationItem {
  href: string;
  text: string;
  active: boolean;
}

export class AdminNavigation {
  readonly #sections: AdminSection[] = [];

  add(section: AdminSection): void {
    if (section.href !== '/admin' && !section.href.startsWith('/admin/')) {
      throw new Error(`An admin section must live under /admin, not ${section.href}`);
    }
    if (this.#sections.some((s) => s.href === section.href)) {
      throw new Error(`Two admin sections claim ${section.href}`);
    }
    this.#sections.push(section);
  }

  /** In their order (equal orders keep the order they were added in). */
  get sections(): readonly AdminSection[] {
    return [...this.#sections].sort((a, b) => a.order - b.order);
  }

  /** The MOJ sub navigation's items for the page at `path`. */
  items(path: string): AdminNavigationItem[] {
    return this.sections.map((section) => ({
      href: section.href,
      text: section.label,
      active:
        path === section.href || (section.coversSubpaths !== false && path.startsWith(`${section.href}/`)),
    }));
  }

  /** The dashboard's lines, in the sections' order. */
  async dashboard(): Promise<{ href: string; text: string; description: string }[]> {
    const withLines = this.sections.filter((s) => s.dashboard);
    return Promise.all(
      withLines.map(async (s) => ({
        href: s.href,
        text: s.dashboard!.label ?? s.label,
        description: await s.dashboard!.describe(),
      })),
    );
  }
}

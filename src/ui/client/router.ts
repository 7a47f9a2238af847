import { setText } from './dom.js';

/** What a page gets: where to draw, its URL's parameters, and a signal that aborts when the user leaves it. */
export interface PageContext {
  readonly root: HTMLElement;
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly signal: AbortSignal;
  /** Resolves after `ms`, or at once when the page is left. */
  sleep(ms: number): Promise<void>;
  setBackend(description: string): void;
}

export type Page = (context: PageContext) => void;

interface Route {
  readonly pattern: RegExp;
  readonly page: Page;
}

const routes: Route[] = [];
let current: AbortController | undefined;
let root: HTMLElement;

export function route(pattern: RegExp, page: Page): void {
  routes.push({ pattern, page });
}

/** Goes to a same-origin path without reloading (history entry unless `replace`). */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace === true) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

export function startRouter(appRoot: HTMLElement): void {
  root = appRoot;
  document.addEventListener('click', (event) => {
    const anchor = (event.target as Element | null)?.closest?.('a[data-link]') as HTMLAnchorElement | null;
    if (anchor === null || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(anchor.getAttribute('href') ?? '/');
  });
  window.addEventListener('popstate', () => render());
  render();
}

function render(): void {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const path = location.pathname;
  for (const { pattern, page } of routes) {
    const match = pattern.exec(path);
    if (match === null) continue;
    const params = decodedParams(match);
    // A malformed %-escape (`/batches/%E0%A4%A`) names no batch or entry: not found, rather than an exception.
    if (params === undefined) return notFound('The address has a malformed %-escape.');
    const signal = controller.signal;
    page({
      root,
      params,
      query: new URLSearchParams(location.search),
      signal,
      sleep: (ms) =>
        new Promise((resolve) => {
          const timer = setTimeout(resolve, ms);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        }),
      setBackend: (description) => {
        const element = document.getElementById('backend');
        if (element !== null) setText(element, description);
      },
    });
    for (const anchor of document.querySelectorAll('header nav a')) {
      anchor.classList.toggle('active', (anchor.getAttribute('href') === '/dlq') === path.startsWith('/dlq'));
    }
    return;
  }
  notFound();
}

function decodedParams(match: RegExpExecArray): string[] | undefined {
  try {
    return match.slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function notFound(detail?: string): void {
  const heading = document.createElement('h1');
  heading.textContent = 'Not found';
  const children: HTMLElement[] = [heading];
  if (detail !== undefined) {
    const paragraph = document.createElement('p');
    paragraph.textContent = detail;
    children.push(paragraph);
  }
  root.replaceChildren(...children);
}

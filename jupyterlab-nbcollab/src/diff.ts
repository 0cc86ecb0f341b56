/**
 * "nbcollab: Diff with HEAD" and "nbcollab: Diff with branch...": nbcollab's review page of a
 * notebook against a revision, in a panel.
 *
 * The page is rendered by the server with nbcollab's review renderer (sanitized, with its own
 * Content-Security-Policy: no network, only its own script and style by hash) and shown in an
 * iframe sandboxed to scripts only: it runs in an opaque origin, so nothing in it can reach
 * JupyterLab, its cookies or its server.
 */
import { MainAreaWidget, ToolbarButton } from '@jupyterlab/apputils';
import { refreshIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { request } from './api';

/** Where the notebook's current content comes from (null: read the file). */
export type ContentSource = (path: string) => string | null;

/** The review page of one notebook against one revision. */
export class DiffView extends Widget {
  constructor(
    readonly path: string,
    readonly revision: string,
    private readonly content: ContentSource
  ) {
    super();
    this.addClass('jp-nbcollab-diff');
    this.status.className = 'jp-nbcollab-diff-status';
    this.status.setAttribute('role', 'status');
    this.frame.setAttribute('sandbox', 'allow-scripts');
    this.frame.setAttribute('referrerpolicy', 'no-referrer');
    this.frame.title = `Changes in ${path} since ${revision}`;
    this.node.append(this.status, this.frame);
  }

  /** Ask for the page again (the notebook may have changed). */
  async load(): Promise<void> {
    this.status.textContent = `Comparing with ${this.revision}…`;
    this.status.hidden = false;
    try {
      const start = performance.now();
      const body = this.content(this.path) ?? '';
      const reply = await request<{ html: string }>(
        'diff',
        { path: this.path, rev: this.revision },
        body
      );
      const answered = performance.now();
      const shown = new Promise<void>(resolve => {
        this.frame.addEventListener('load', () => resolve(), { once: true });
      });
      this.frame.srcdoc = reply.html;
      await shown;
      this.status.hidden = true;
      // How long the server and the page took (ms), for whoever measures the panel.
      this.node.dataset.nbcollabTimings = JSON.stringify({
        server: Math.round(answered - start),
        page: Math.round(performance.now() - answered)
      });
      this.node.dataset.nbcollabLoaded = 'true';
    } catch (error) {
      this.status.textContent = error instanceof Error ? error.message : String(error);
      this.status.classList.add('jp-mod-error');
    }
  }

  private readonly status = document.createElement('div');
  private readonly frame = document.createElement('iframe');
}

/** A main-area panel showing a `DiffView`, with a refresh button. */
export function diffPanel(
  path: string,
  revision: string,
  content: ContentSource
): MainAreaWidget<DiffView> {
  const view = new DiffView(path, revision, content);
  const panel = new MainAreaWidget({ content: view });
  const name = path.split('/').pop() ?? path;
  panel.id = `nbcollab-diff-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  panel.title.label = `${name} ↔ ${revision}`;
  panel.title.caption = `nbcollab: changes in ${path} since ${revision}`;
  panel.title.closable = true;
  panel.toolbar.addItem(
    'refresh',
    new ToolbarButton({
      icon: refreshIcon,
      tooltip: 'Compare again',
      onClick: () => void view.load()
    })
  );
  return panel;
}

/**
 * The status-bar item with the number of nbcollab lint findings of the current notebook
 * (execution order, hidden state), refreshed shortly after cells run. The server lints the
 * notebook statically with nbcollab's `lint`; nothing is executed. Clicking the item lists the
 * findings; choosing one selects its cell.
 */
import { Dialog } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { IFinding, request } from './api';
import { notebookJSON } from './model';

/** The status-bar widget. */
export class LintStatus extends Widget {
  constructor(private readonly tracker: INotebookTracker) {
    super({ node: document.createElement('button') });
    this.addClass('jp-nbcollab-lint');
    this.addClass('jp-StatusBar-TextItem');
    (this.node as HTMLButtonElement).type = 'button';
    this.node.title = 'nbcollab lint: execution order and hidden state (click for the list)';
    this.node.addEventListener('click', () => void this.list());
    this.render();
  }

  /** How long after a run of cells the notebook is linted again (ms). */
  delay = 500;

  /** Lint the current notebook after `delay` (ms), once however many calls come before. */
  schedule(delay = this.delay): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.refresh(), delay);
  }

  /** Lint the current notebook now. */
  async refresh(): Promise<void> {
    const panel = this.tracker.currentWidget;
    if (!panel || !panel.content.model) {
      this.findings = null;
      this.render();
      return;
    }
    const asked = ++this.asked;
    try {
      const reply = await request<{ findings: IFinding[] }>(
        'lint',
        { path: panel.context.path },
        JSON.stringify(notebookJSON(panel.content.model))
      );
      if (asked === this.asked) {
        this.panel = panel;
        this.findings = reply.findings;
        this.problem = '';
      }
    } catch (error) {
      if (asked === this.asked) {
        this.findings = null;
        this.problem = error instanceof Error ? error.message : String(error);
      }
    }
    this.render();
  }

  private render(): void {
    const count = this.findings?.length ?? 0;
    this.node.textContent =
      this.findings === null
        ? this.problem
          ? 'nbcollab: not linted'
          : 'nbcollab'
        : count === 0
          ? 'nbcollab: no findings'
          : `nbcollab: ${count} finding${count === 1 ? '' : 's'}`;
    this.node.dataset.nbcollabFindings = String(count);
    this.toggleClass('jp-mod-warn', count > 0);
    if (this.problem) {
      this.node.title = this.problem;
    }
  }

  private async list(): Promise<void> {
    const findings = this.findings ?? [];
    const panel = this.panel;
    const body = new Widget();
    body.addClass('jp-nbcollab-findings');
    let chosen: IFinding | null = null;
    const dialog = new Dialog({
      title: `nbcollab lint: ${findings.length} finding${findings.length === 1 ? '' : 's'}`,
      body,
      buttons: [Dialog.okButton({ label: 'Close' })]
    });
    if (!findings.length) {
      const none = document.createElement('p');
      none.textContent = this.problem || 'No execution-order or hidden-state findings.';
      body.node.append(none);
    }
    for (const finding of findings) {
      const item = document.createElement('button');
      item.type = 'button';
      item.className = 'jp-nbcollab-finding';
      const where = document.createElement('span');
      where.className = 'jp-nbcollab-finding-where';
      where.textContent = `cell ${finding.cell + 1}, line ${finding.line}`;
      const code = document.createElement('code');
      code.textContent = finding.code;
      const text = document.createElement('span');
      text.textContent = finding.message;
      item.append(where, code, text);
      item.addEventListener('click', () => {
        chosen = finding;
        dialog.resolve(0);
      });
      body.node.append(item);
    }
    await dialog.launch();
    if (chosen && panel && !panel.isDisposed) {
      await jumpTo(panel, (chosen as IFinding).cell);
    }
  }

  private panel: NotebookPanel | null = null;
  private findings: IFinding[] | null = null;
  private problem = '';
  private timer = 0;
  private asked = 0;
}

/** Select cell `index` of `panel` and bring it into view. */
export async function jumpTo(panel: NotebookPanel, index: number): Promise<void> {
  const notebook = panel.content;
  if (index < 0 || index >= notebook.widgets.length) {
    return;
  }
  notebook.activeCellIndex = index;
  await notebook.scrollToItem(index, 'center');
  panel.activate();
}

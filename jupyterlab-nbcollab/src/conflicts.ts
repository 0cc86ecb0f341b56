/**
 * Merge conflicts inside an open notebook: a banner with their number and previous/next, and on
 * each conflicted cell a panel with base, ours and theirs and one button per choice.
 *
 * Each choice is resolved by the server with nbcollab's `merge.resolve`, on the notebook as the
 * editor holds it (what the user typed included); the answer names the cells that change, and
 * only those are changed in the model. If one of them changed while the server was answering,
 * the choice is asked for again: nothing typed is ever overwritten. Nothing is written to disk
 * but by the editor's own save ("Mark resolved" saves, then runs `git add`).
 */
import type { Cell } from '@jupyterlab/cells';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import type { IDisposable } from '@lumino/disposable';
import { Message, MessageLoop } from '@lumino/messaging';
import { PanelLayout, Widget } from '@lumino/widgets';

import {
  IConflict,
  IConflictReport,
  IGitState,
  IResolution,
  NbcollabError,
  request
} from './api';
import { applyResolution, notebookJSON, stillMatches, touched } from './model';

const BUTTONS: Record<string, string> = {
  ours: 'Use ours',
  theirs: 'Use theirs',
  base: 'Use base',
  both: 'Use both'
};
const REFRESH_DELAY = 800;
const START_MARKER = /^<{7}/;

/** The lines of `source` that look like a conflict's start marker (`<<<<<<< main`). */
function startMarkers(source: string | undefined): string[] {
  return (source ?? '').split('\n').filter(line => START_MARKER.test(line));
}
const ATTEMPTS = 5;

/** One notebook's conflicts, from when it opens until it closes. */
export class NotebookConflicts implements IDisposable {
  constructor(
    private readonly panel: NotebookPanel,
    private readonly reopen: (path: string) => Promise<void>
  ) {
    this.banner = new ConflictBanner(this);
    panel.disposed.connect(() => this.dispose());
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  get path(): string {
    return this.panel.context.path;
  }

  /** Look at the notebook once it opens; follow its edits while it has conflicts. */
  async start(): Promise<void> {
    const state = await this.gitState();
    if (state && state.unmerged && state.notebook === false) {
      this.offerStages();
      return;
    }
    await this.panel.context.ready;
    if (this._disposed) {
      return;
    }
    this.git = state;
    if (this.hasRecord() || state?.unmerged) {
      await this.refresh();
    }
    this.panel.content.model?.contentChanged.connect(this.scheduleRefresh, this);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    window.clearTimeout(this.timer);
    this.clearPanels();
    this.banner.dispose();
  }

  /** Ask the server what is left, and show it. */
  refresh(): Promise<void> {
    return this.enqueue(async () => {
      const model = this.panel.content.model;
      if (!model) {
        return;
      }
      const report = await request<IConflictReport>(
        'conflicts',
        { path: this.path },
        JSON.stringify(notebookJSON(model))
      );
      this.git = report.git ?? this.git;
      this.show(report);
    });
  }

  /** Resolve conflict `conflict` to `choice` in the model. */
  choose(conflict: IConflict, choice: string): Promise<void> {
    return this.enqueue(async () => {
      const model = this.panel.content.model;
      if (!model) {
        return;
      }
      // Numbers move as conflicts are resolved: a click queued behind another one is for the
      // same conflict as it is now, found again by where and what it is.
      const current = this.report?.conflicts.find(c => sameConflict(c, conflict));
      if (!current) {
        return; // resolved by the click before this one (a double click): nothing left to do
      }
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const shared = model.sharedModel;
        const sent = notebookJSON(model);
        const reply = await request<IResolution>(
          'resolve',
          {
            path: this.path,
            number: String(current.number),
            cell: String(current.cell),
            kind: current.kind,
            choice
          },
          JSON.stringify(sent)
        );
        if (!stillMatches(shared, sent, touched(reply))) {
          continue; // typed into that cell meanwhile: ask again with what is there now
        }
        applyResolution(model, reply);
        const place =
          current.kind === 'notebook-metadata'
            ? 'Notebook metadata'
            : `Cell ${current.cell + 1} (${current.kind})`;
        this.say(`${place}: used ${this.sideName(choice)}.`);
        this.show(reply);
        return;
      }
      throw new NbcollabError(
        'The cell kept changing while the choice was applied; try again.'
      );
    });
  }

  /** Save the notebook, then `git add` it. */
  markResolved(): Promise<void> {
    return this.enqueue(async () => {
      const model = this.panel.content.model;
      if (!model) {
        return;
      }
      const loose = this.report ? this.looseMarkers(this.report) : [];
      const edited = [...new Set([...(this.report?.edited ?? []), ...loose])].sort((a, b) => a - b);
      if (edited.length && !(await this.confirmEdited(edited))) {
        return;
      }
      // The records of the conflicts resolved here are cleared now (a choice leaves its record,
      // so that undoing it brings the conflict back). Asked whatever the last report said, and
      // asked again when the notebook changed meanwhile (the kernel writes its metadata when it
      // starts): a record left behind would make the notebook look half resolved.
      // Left without conflicts, the notebook also gets its outputs back from the output cache
      // (as `nbcollab resolve` gives them), in the same reply.
      let cleared = false;
      let restored = false;
      for (let attempt = 0; attempt < ATTEMPTS && !cleared; attempt++) {
        const sent = notebookJSON(model);
        const reply = await request<IResolution>(
          'clear',
          { path: this.path },
          JSON.stringify(sent)
        );
        if (stillMatches(model.sharedModel, sent, touched(reply))) {
          applyResolution(model, reply);
          cleared = true;
          restored = !!reply.restored;
        }
      }
      if (!cleared) {
        throw new NbcollabError('The notebook kept changing while it was marked resolved; try again.');
      }
      // What is staged must be what the user resolved: a save cancelled, or a file changed on
      // disk and reverted to (JupyterLab asks), stops here and says so.
      const cellsNow = () => JSON.stringify(model.sharedModel.cells.map(c => c.toJSON()));
      const resolvedHere = cellsNow();
      try {
        await this.panel.context.save();
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new NbcollabError(`Not saved (${why}): nothing was marked resolved.`);
      }
      if (model.dirty || cellsNow() !== resolvedHere) {
        throw new NbcollabError(
          'The notebook changed while it was saved (typed into, run, or reverted to the file ' +
            'on disk): nothing was marked resolved; look at it, then Mark resolved again.'
        );
      }
      const done = await request<{ message: string }>(
        'mark-resolved',
        { path: this.path },
        ''
      );
      this.resolved = true;
      // Marker lines the user confirmed are theirs to keep (a tutorial about git): said again
      // only when a cell holds others (an undo brings a conflict's back), wherever it moved.
      const cells = model.sharedModel.cells;
      this.accepted = new Set(edited.flatMap(index => startMarkers(cells[index]?.getSource())));
      this.git = { ...(this.git ?? { repository: true, stages: [] }), unmerged: false };
      const outputs = restored ? ' with your outputs from the output cache' : '';
      this.say(`Saved${outputs}, and ${done.message}: the notebook is marked resolved.`);
      this.show({
        ...(this.report as IConflictReport),
        conflicts: [],
        stale: 0,
        edited: [],
        marked: []
      });
    });
  }

  /** Move to the previous (-1) or next (+1) conflict. */
  async step(direction: number): Promise<void> {
    const conflicts = this.report?.conflicts ?? [];
    if (!conflicts.length) {
      return;
    }
    const count = conflicts.length;
    // From none yet, Next is the first and Previous the last; then around, both ways.
    this.position =
      this.position < 0
        ? direction > 0
          ? 0
          : count - 1
        : (((this.position + direction) % count) + count) % count;
    const target = conflicts[this.position];
    // Said at once; a long notebook may take a while to lay out the cells on the way.
    this.banner.showState(this.report, this.git, this.resolved, this.position);
    const notebook = this.panel.content;
    notebook.activeCellIndex = target.cell;
    await notebook.scrollToItem(target.cell, 'start', 0);
    const cell = notebook.widgets[target.cell];
    if (cell) {
      // Cells drawn on the way change the heights scrolled past (they were estimates): place
      // it again once they are laid out.
      await cell.ready;
      for (let frame = 0; frame < 3 && this.position >= 0; frame++) {
        await new Promise(done => requestAnimationFrame(done));
        if (conflicts[this.position] !== target) {
          break; // another step meanwhile
        }
        cell.node.scrollIntoView({ block: 'start' });
      }
    }
    for (const node of this.panel.node.querySelectorAll('.jp-nbcollab-current')) {
      node.classList.remove('jp-nbcollab-current');
    }
    const shown = this.panel.node.querySelector<HTMLElement>(
      `[data-nbcollab-number="${target.number}"]`
    );
    if (shown) {
      shown.classList.add('jp-nbcollab-current');
      shown.focus({ preventScroll: true });
    }
  }

  /** Ask before marking resolved a notebook whose cells still show conflict markers. */
  private async confirmEdited(cells: number[]): Promise<boolean> {
    const names = cells.map(index => `cell ${index + 1}`).join(', ');
    const result = await showDialog({
      title: 'Conflict markers left',
      body:
        `${names} still ${cells.length === 1 ? 'holds' : 'hold'} conflict marker lines ` +
        '(<<<<<<<, =======, >>>>>>>). Mark the notebook resolved as it is?',
      buttons: [
        Dialog.cancelButton({ label: 'Go back' }),
        Dialog.warnButton({ label: 'Mark resolved' })
      ]
    });
    return result.button.accept;
  }

  sideName(side: string): string {
    const labels = this.report?.labels ?? { ours: 'ours', theirs: 'theirs' };
    if (side === 'ours' || side === 'theirs') {
      return labels[side] === side ? side : `${labels[side]} (${side})`;
    }
    return side === 'both' ? 'both sides' : side;
  }

  say(text: string, error = false): void {
    if (!this.banner.isAttached && !this._disposed) {
      this.panel.contentHeader.addWidget(this.banner); // a malformed record, say: shown
    }
    this.banner.say(text, error);
  }

  private hasRecord(): boolean {
    const own = this.panel.content.model?.getMetadata('nbcollab');
    return !!own && typeof own === 'object' && !Array.isArray(own) && 'conflicts' in own;
  }

  private async gitState(): Promise<IGitState | null> {
    try {
      return await request<IGitState>('state', { path: this.path });
    } catch {
      return null; // not a file the server may read: nothing to show
    }
  }

  /** The cells with marker lines but no recorded conflict, but for lines the user kept. */
  private looseMarkers(report: IConflictReport): number[] {
    const cells = this.panel.content.model?.sharedModel.cells ?? [];
    return (report.marked ?? []).filter(index =>
      startMarkers(cells[index]?.getSource()).some(line => !this.accepted.has(line))
    );
  }

  private scheduleRefresh(): void {
    if (!this.report || this._disposed) {
      return;
    }
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.refresh(), REFRESH_DELAY);
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work).catch(error => {
      this.say(error instanceof Error ? error.message : String(error), true);
    });
    this.queue = next;
    return next;
  }

  private show(report: IConflictReport): void {
    if (this._disposed) {
      return;
    }
    this.report = report;
    if (this.position >= report.conflicts.length) {
      this.position = -1;
    }
    if (!this.banner.isAttached) {
      this.panel.contentHeader.addWidget(this.banner);
    }
    const loose = this.looseMarkers(report);
    if (this.resolved && loose.length) {
      // An undo brought a conflict's marks back after its record was cleared: not resolved.
      this.resolved = false;
      const names = loose.map(index => `cell ${index + 1}`).join(', ');
      this.say(
        `${names} ${loose.length === 1 ? 'holds' : 'hold'} conflict marker lines again ` +
          '(an undo?): fix them, then Mark resolved again.',
        true
      );
    }
    this.banner.showState(report, this.git, this.resolved, this.position);
    this.clearPanels();
    const byCell = new Map<number, IConflict[]>();
    for (const conflict of report.conflicts) {
      byCell.set(conflict.cell, [...(byCell.get(conflict.cell) ?? []), conflict]);
    }
    const cells = this.panel.content.widgets;
    for (const [index, conflicts] of byCell) {
      const cell = cells[index];
      if (cell) {
        this.addPanel(cell, new CellConflicts(this, conflicts));
      }
    }
  }

  private addPanel(cell: Cell, widget: Widget): void {
    (cell.layout as PanelLayout).insertWidget(0, widget);
    this.panels.push(widget);
  }

  private clearPanels(): void {
    for (const widget of this.panels) {
      widget.dispose();
    }
    this.panels = [];
  }

  /** git left its line markers in the file, which JupyterLab cannot open (it says so): offer
   * nbcollab's merge of git's stages instead, in a notification that stays until answered. */
  private offerStages(): void {
    const path = this.path;
    Notification.warning(
      `${path}: git merged it as text, so it cannot be opened. Merge it cell by cell?`,
      {
        autoClose: false,
        actions: [
          {
            label: 'Merge cell by cell',
            caption: "Replace the file by nbcollab's merge of git's stages; git keeps all three",
            displayType: 'accent',
            callback: () => {
              this.reopen(path).catch(error =>
                Notification.error(
                  `${path}: ${error instanceof Error ? error.message : String(error)}`,
                  { autoClose: false }
                )
              );
            }
          }
        ]
      }
    );
  }

  private readonly banner: ConflictBanner;
  private panels: Widget[] = [];
  private report: IConflictReport | null = null;
  private git: IGitState | null = null;
  private resolved = false;
  private accepted = new Set<string>();
  private position = -1;
  private queue: Promise<void> = Promise.resolve();
  private timer = 0;
  private _disposed = false;
}

/** The banner above the notebook: how many conflicts, previous/next, Mark resolved. */
class ConflictBanner extends Widget {
  constructor(owner: NotebookConflicts) {
    super();
    this.addClass('jp-nbcollab-banner');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'nbcollab merge conflicts');
    this.body.className = 'jp-nbcollab-banner-body';
    this.count.className = 'jp-nbcollab-count';
    this.count.setAttribute('role', 'status');
    this.where.className = 'jp-nbcollab-where';
    this.previous = button('Previous conflict', () => void owner.step(-1));
    this.next = button('Next conflict', () => void owner.step(1));
    this.mark = button('Mark resolved', () => void owner.markResolved());
    this.mark.title = 'Save the notebook, then run git add on it';
    this.mark.classList.add('jp-mod-accept');
    this.message.className = 'jp-nbcollab-message';
    this.message.setAttribute('role', 'status');
    this.message.setAttribute('aria-live', 'polite');
    this.body.append(
      this.count,
      this.where,
      this.previous,
      this.next,
      this.mark,
      this.message
    );
    this.node.append(this.body);
  }

  showState(
    report: IConflictReport | null,
    git: IGitState | null,
    resolved: boolean,
    position: number
  ): void {
    const left = report?.conflicts.length ?? 0;
    this.count.textContent =
      left > 0
        ? `${left} conflict${left === 1 ? '' : 's'}`
        : resolved
          ? 'Resolved'
          : 'No conflict left';
    const labels = report?.labels;
    const merging =
      labels && (labels.ours !== 'ours' || labels.theirs !== 'theirs')
        ? `merging ${labels.theirs} into ${labels.ours}`
        : 'merge';
    this.where.textContent =
      left > 0
        ? `${merging}${position >= 0 ? ` · ${position + 1} of ${left}` : ''}`
        : resolved
          ? ''
          : git?.unmerged
            ? 'Mark resolved clears the conflict record, saves the notebook and runs git add'
            : 'Mark resolved clears the conflict record and saves the notebook';
    this.previous.hidden = this.next.hidden = left === 0;
    this.mark.hidden = left > 0 || resolved;
    this.toggleClass('jp-mod-resolved', left === 0);
    this.fitHeight();
  }

  say(text: string, error: boolean): void {
    this.message.textContent = text;
    this.message.classList.toggle('jp-mod-error', error);
    this.fitHeight();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    // The notebook narrows (a diff opened beside it, say): the buttons wrap, the height follows.
    this.resizes.observe(this.body);
    this.fitHeight();
  }

  protected onBeforeDetach(msg: Message): void {
    this.resizes.disconnect();
    super.onBeforeDetach(msg);
  }

  /** The header above the notebook lays its children out at their minimum height: keep that
   * the height of what the banner shows (one line, or two with a message). */
  private fitHeight(): void {
    requestAnimationFrame(() => {
      const height = Math.ceil(this.body.getBoundingClientRect().height);
      if (height > 0 && height !== this.height) {
        this.height = height;
        this.node.style.minHeight = `${height}px`;
        if (this.parent) {
          MessageLoop.sendMessage(this.parent, Widget.Msg.FitRequest);
        }
      }
    });
  }

  private height = 0;
  private readonly resizes = new ResizeObserver(() => this.fitHeight());
  private readonly body = document.createElement('div');
  private readonly count = document.createElement('strong');
  private readonly where = document.createElement('span');
  private readonly previous: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly mark: HTMLButtonElement;
  private readonly message = document.createElement('span');
}

/** The conflicts of one cell, above its editor. */
class CellConflicts extends Widget {
  constructor(owner: NotebookConflicts, conflicts: IConflict[]) {
    super();
    this.addClass('jp-nbcollab-cell');
    for (const conflict of conflicts) {
      this.node.append(conflictNode(owner, conflict));
    }
  }
}

function conflictNode(owner: NotebookConflicts, conflict: IConflict): HTMLElement {
  const box = document.createElement('section');
  box.className = 'jp-nbcollab-conflict';
  box.tabIndex = -1;
  box.dataset.nbcollabNumber = String(conflict.number);
  box.setAttribute('aria-label', `Conflict: ${conflict.description}`);
  const title = document.createElement('div');
  title.className = 'jp-nbcollab-conflict-title';
  title.textContent = `Conflict · ${conflict.description}`;
  const sides = document.createElement('div');
  sides.className = 'jp-nbcollab-sides';
  for (const side of ['base', 'ours', 'theirs'] as const) {
    const column = document.createElement('div');
    column.className = `jp-nbcollab-side jp-nbcollab-side-${side}`;
    const label = document.createElement('div');
    label.className = 'jp-nbcollab-label';
    label.textContent = owner.sideName(side);
    const text = document.createElement('pre');
    const value = conflict.sides[side];
    text.textContent = value === null ? '(cell deleted)' : value || '(empty)';
    text.classList.toggle('jp-mod-muted', value === null || !value);
    column.append(label, text);
    sides.append(column);
  }
  const choices = document.createElement('div');
  choices.className = 'jp-nbcollab-choices';
  for (const choice of ['ours', 'theirs', 'base', 'both']) {
    if (!conflict.choices.includes(choice)) {
      continue;
    }
    const use = button(BUTTONS[choice], () => void owner.choose(conflict, choice));
    use.title = `Resolve this conflict with ${owner.sideName(choice)}`;
    choices.append(use);
  }
  box.append(title, sides, choices);
  return box;
}

/** Whether two descriptions are of the same conflict (its number may have moved). */
function sameConflict(a: IConflict, b: IConflict): boolean {
  const place = (c: IConflict) => c.cell_id ?? `#${c.cell}`;
  return (
    a.kind === b.kind &&
    place(a) === place(b) &&
    JSON.stringify(a.sides) === JSON.stringify(b.sides)
  );
}

function button(label: string, act: () => void): HTMLButtonElement {
  const node = document.createElement('button');
  node.type = 'button';
  node.className = 'jp-Button jp-mod-styled jp-nbcollab-button';
  node.textContent = label;
  node.addEventListener('click', act);
  return node;
}

/**
 * jupyterlab-nbcollab: nbcollab inside JupyterLab.
 *
 * - conflicts: a notebook with merge conflicts (nbcollab's record, or git's stages) shows them
 *   in its cells, resolved by clicking, then "Mark resolved" (save + git add);
 * - diff: "nbcollab: Diff with HEAD" / "Diff with branch..." open nbcollab's review page;
 * - lint: the number of execution-order and hidden-state findings in the status bar.
 */
import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, InputDialog } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import * as nbformat from '@jupyterlab/nbformat';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';

import { request } from './api';
import { NotebookConflicts } from './conflicts';
import { diffPanel } from './diff';
import { LintStatus } from './lint';
import { notebookJSON } from './model';

// How long typing must pause before the notebook is linted again (ms).
const EDIT_DELAY = 1500;
const NOTEBOOK_ITEM = '.jp-DirListing-item[data-file-type="notebook"]';

const CommandIDs = {
  diffHead: 'nbcollab:diff-head',
  diffBranch: 'nbcollab:diff-branch',
  mergeStages: 'nbcollab:merge-stages'
};

const conflicts: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbcollab:conflicts',
  description: 'Merge conflicts resolved inside the notebook.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    browser: IDefaultFileBrowser | null
  ) => {
    const reopen = async (path: string): Promise<void> => {
      const reply = await request<{ notebook: nbformat.INotebookContent }>(
        'merge-stages',
        { path },
        ''
      );
      await app.serviceManager.contents.save(path, {
        type: 'notebook',
        format: 'json',
        content: reply.notebook
      });
      // The panel that could not load the file holds nothing to save.
      for (const panel of tracker.filter(p => p.context.path === path)) {
        panel.context.model.dirty = false;
        panel.dispose();
      }
      await app.commands.execute('docmanager:open', { path, factory: 'Notebook' });
    };
    tracker.widgetAdded.connect((_, panel: NotebookPanel) => {
      if (!panel.context.isReady) {
        // A model that was never loaded holds nothing of the user's: were the file unreadable
        // (git's line markers), closing its empty panel must not ask to save it.
        panel.context.model.dirty = false;
      }
      void new NotebookConflicts(panel, reopen).start();
    });
    app.commands.addCommand(CommandIDs.mergeStages, {
      label: "nbcollab: Merge again from git's stages",
      caption:
        "Merge the notebook again, cell by cell, from git's base, ours and theirs (for a " +
        'notebook git merged as text)',
      execute: async args => {
        const path = (args.path as string) || selectedNotebook(browser);
        if (path) {
          await reopen(path);
        }
      }
    });
    palette?.addItem({ command: CommandIDs.mergeStages, category: 'nbcollab' });
    app.contextMenu.addItem({
      command: CommandIDs.mergeStages,
      selector: NOTEBOOK_ITEM,
      rank: 12
    });
  }
};

const diff: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbcollab:diff',
  description: 'nbcollab review page of a notebook against HEAD or a branch.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, IDefaultFileBrowser, ILabShell],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    browser: IDefaultFileBrowser | null
  ) => {
    // The open editor's content, unsaved edits included; a closed notebook is read from disk.
    const content = (path: string): string | null => {
      const open = tracker.find(panel => panel.context.path === path);
      return open?.content.model ? JSON.stringify(notebookJSON(open.content.model)) : null;
    };
    const target = (args: ReadonlyPartialJSONObject): string | null => {
      if (typeof args.path === 'string' && args.path) {
        return args.path;
      }
      const widget = app.shell.currentWidget;
      if (widget && tracker.has(widget)) {
        return (widget as NotebookPanel).context.path;
      }
      return selectedNotebook(browser) ?? tracker.currentWidget?.context.path ?? null;
    };
    const open = async (path: string, revision: string): Promise<void> => {
      const panel = diffPanel(path, revision, content);
      // Beside the notebook when it is open, to read both at once; else a tab of its own.
      const notebook = tracker.find(widget => widget.context.path === path);
      app.shell.add(panel, 'main', notebook ? { ref: notebook.id, mode: 'split-right' } : {});
      app.shell.activateById(panel.id);
      await panel.content.load();
    };
    app.commands.addCommand(CommandIDs.diffHead, {
      label: 'nbcollab: Diff with HEAD',
      caption: 'Show what changed in this notebook since the last commit',
      isEnabled: () => target({}) !== null,
      execute: async args => {
        const path = target(args);
        if (path) {
          await open(path, (args.revision as string) || 'HEAD');
        }
      }
    });
    app.commands.addCommand(CommandIDs.diffBranch, {
      label: 'nbcollab: Diff with branch...',
      caption: 'Show what differs in this notebook from a branch',
      isEnabled: () => target({}) !== null,
      execute: async args => {
        const path = target(args);
        if (!path) {
          return;
        }
        let revision = args.revision as string | undefined;
        if (!revision) {
          const { branches } = await request<{ branches: string[] }>('branches', { path });
          const chosen = await InputDialog.getItem({
            title: 'Diff with branch',
            label: `Compare ${path} with`,
            items: branches,
            editable: true,
            placeholder: 'a branch, tag or commit'
          });
          if (!chosen.button.accept || !chosen.value) {
            return;
          }
          revision = chosen.value;
        }
        await open(path, revision);
      }
    });
    for (const command of [CommandIDs.diffHead, CommandIDs.diffBranch]) {
      palette?.addItem({ command, category: 'nbcollab' });
    }
    app.contextMenu.addItem({ command: CommandIDs.diffHead, selector: NOTEBOOK_ITEM, rank: 10 });
    app.contextMenu.addItem({ command: CommandIDs.diffBranch, selector: NOTEBOOK_ITEM, rank: 11 });
  }
};

const lint: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbcollab:lint',
  description: 'Execution-order and hidden-state findings in the status bar.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [IStatusBar, ISettingRegistry],
  activate: async (
    _app: JupyterFrontEnd,
    tracker: INotebookTracker,
    statusBar: IStatusBar | null,
    settings: ISettingRegistry | null
  ) => {
    if (!statusBar) {
      return;
    }
    const status = new LintStatus(tracker);
    const changed = new Signal<LintStatus, void>(status);
    let enabled = true;
    statusBar.registerStatusItem('jupyterlab-nbcollab:lint', {
      item: status,
      align: 'left',
      rank: 4,
      isActive: () => enabled && tracker.currentWidget !== null,
      activeStateChanged: changed
    });
    const apply = (loaded: ISettingRegistry.ISettings): void => {
      enabled = loaded.get('lintStatus').composite !== false;
      status.delay = Number(loaded.get('lintDelay').composite) || 500;
      changed.emit();
      if (enabled) {
        status.schedule();
      }
    };
    if (settings) {
      try {
        const loaded = await settings.load(lint.id);
        apply(loaded);
        loaded.changed.connect(apply);
      } catch (error) {
        console.warn('jupyterlab-nbcollab: settings not loaded', error);
      }
    }
    tracker.currentChanged.connect(async (_, panel) => {
      changed.emit();
      if (enabled && panel) {
        await panel.context.ready;
        status.schedule();
      }
    });
    // Edits matter too (a cell's names, a resolved conflict): linted once typing pauses.
    tracker.widgetAdded.connect(async (_, panel) => {
      await panel.context.ready;
      panel.content.model?.contentChanged.connect(() => {
        if (enabled && tracker.currentWidget === panel) {
          status.schedule(EDIT_DELAY);
        }
      });
    });
    NotebookActions.executed.connect((_, { notebook }) => {
      if (enabled && tracker.currentWidget?.content === notebook) {
        status.schedule();
      }
    });
  }
};

function selectedNotebook(browser: IDefaultFileBrowser | null): string | null {
  if (!browser) {
    return null;
  }
  for (const item of browser.selectedItems()) {
    if (item.type === 'notebook') {
      return item.path;
    }
  }
  return null;
}

export default [conflicts, diff, lint];

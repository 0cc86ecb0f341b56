/**
 * The notebook model as the server sees it, and applying what the server resolved back to it.
 *
 * Every change goes through the shared model (cell sources, metadata, the cell list), so
 * JupyterLab's undo, dirty state and save work as for any edit, and another view of the same
 * notebook follows; outputs go through each cell's own output model, as a kernel's do (written
 * to the shared model directly, a stream's text would be appended a second time). A source is
 * changed only where it differs (the common start and end are kept), so the cursor and what
 * surrounds the conflict stay where they are.
 */
import { JSONExt, PartialJSONValue } from '@lumino/coreutils';
import type * as nbformat from '@jupyterlab/nbformat';
import type { ICodeCellModel } from '@jupyterlab/cells';
import { INotebookModel } from '@jupyterlab/notebook';
import type {
  ISharedAttachmentsCell,
  ISharedCell,
  ISharedCodeCell,
  ISharedNotebook
} from '@jupyter/ydoc';

import { IResolution } from './api';

/** The notebook's content as JSON, unsaved edits included. */
export function notebookJSON(model: INotebookModel): nbformat.INotebookContent {
  return model.toJSON() as nbformat.INotebookContent;
}

/**
 * Whether the cells `indices` and the notebook's metadata are still what `sent` holds: if the
 * user typed in one of them while the server was answering, the resolution is asked for again
 * rather than applied over what they typed.
 */
export function stillMatches(
  notebook: ISharedNotebook,
  sent: nbformat.INotebookContent,
  indices: number[]
): boolean {
  if (notebook.cells.length !== sent.cells.length) {
    return false;
  }
  if (!JSONExt.deepEqual(notebook.getMetadata() as PartialJSONValue, sent.metadata)) {
    return false;
  }
  return indices.every(index => {
    const cell = notebook.cells[index];
    const was = sent.cells[index];
    return (
      cell !== undefined &&
      was !== undefined &&
      cell.id === was.id &&
      cell.cell_type === was.cell_type &&
      cell.getSource() === sourceText(was.source)
    );
  });
}

/** The cells a resolution changes or removes, by index in the notebook that was sent. */
export function touched(reply: IResolution): number[] {
  const indices = reply.changed.map(change => change.index);
  if (reply.removed !== null) {
    indices.push(reply.removed);
  }
  return indices;
}

/** Apply a resolution to the model: changed cells first (their indices are the sent ones), then
 * the removed cell, then the notebook's metadata (the conflict record). */
export function applyResolution(model: INotebookModel, reply: IResolution): void {
  for (const change of reply.changed) {
    applyCell(model, change.index, change.cell);
  }
  if (reply.removed !== null) {
    model.sharedModel.deleteCell(reply.removed);
  }
  applyMetadata(model.sharedModel, reply.metadata);
}

function applyCell(model: INotebookModel, index: number, wanted: nbformat.ICell): void {
  const notebook = model.sharedModel;
  const cell = notebook.cells[index];
  if (!cell) {
    return;
  }
  if (cell.cell_type !== wanted.cell_type) {
    // A cell type is not a property of a cell in the model: the cell is replaced, in place.
    notebook.deleteCell(index);
    notebook.insertCell(index, { ...wanted, id: cell.id, source: sourceText(wanted.source) });
    return;
  }
  replaceSource(cell, sourceText(wanted.source));
  const metadata = wanted.metadata ?? {};
  if (!JSONExt.deepEqual(cell.getMetadata() as PartialJSONValue, metadata)) {
    cell.setMetadata(metadata);
  }
  if (cell.cell_type === 'code') {
    const code = cell as ISharedCodeCell;
    const outputs = plainOutputs((wanted as nbformat.ICodeCell).outputs ?? []);
    const current = plainOutputs(code.getOutputs());
    if (!JSONExt.deepEqual(current as PartialJSONValue, outputs as PartialJSONValue)) {
      const area = (model.cells.get(index) as ICodeCellModel).outputs;
      area.clear();
      for (const output of outputs) {
        area.add(output);
      }
    }
    const count = (wanted as nbformat.ICodeCell).execution_count ?? null;
    if (code.execution_count !== count) {
      code.execution_count = count;
    }
  } else if (cell.cell_type === 'markdown' || cell.cell_type === 'raw') {
    const attached = cell as ISharedAttachmentsCell;
    const attachments = (wanted as nbformat.IMarkdownCell).attachments;
    if (
      !JSONExt.deepEqual(
        (attached.getAttachments() ?? null) as PartialJSONValue,
        (attachments ?? null) as PartialJSONValue
      )
    ) {
      attached.setAttachments(attachments);
    }
  }
}

/** Outputs with each stream's text as one string (nbformat allows a list of lines). */
function plainOutputs(outputs: nbformat.IOutput[]): nbformat.IOutput[] {
  return outputs.map(output =>
    output.output_type === 'stream' && Array.isArray(output.text)
      ? { ...output, text: output.text.join('') }
      : output
  );
}

/** Replace what differs between the cell's source and `text`, and nothing else. */
export function replaceSource(cell: ISharedCell, text: string): void {
  const old = cell.getSource();
  if (old === text) {
    return;
  }
  let start = 0;
  const limit = Math.min(old.length, text.length);
  while (start < limit && old[start] === text[start]) {
    start++;
  }
  if (start > 0 && isHighSurrogate(old.charCodeAt(start - 1))) {
    start--; // never between the two halves of one character
  }
  let tail = 0;
  while (
    tail < limit - start &&
    old[old.length - 1 - tail] === text[text.length - 1 - tail]
  ) {
    tail++;
  }
  if (tail > 0 && isHighSurrogate(old.charCodeAt(old.length - tail - 1))) {
    tail--;
  }
  // One undo step of its own: Ctrl+Z takes back the choice, not what was typed just before.
  const history = (cell as unknown as IUndoable).undoManager;
  history?.stopCapturing();
  cell.updateSource(start, old.length - tail, text.slice(start, text.length - tail));
  history?.stopCapturing();
}

/** The part of a cell's undo manager (Yjs) used here. */
interface IUndoable {
  undoManager?: { stopCapturing(): void } | null;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function applyMetadata(notebook: ISharedNotebook, wanted: nbformat.INotebookMetadata): void {
  const current = notebook.getMetadata();
  for (const key of Object.keys(current)) {
    if (!(key in wanted)) {
      notebook.deleteMetadata(key);
    }
  }
  for (const [key, value] of Object.entries(wanted)) {
    if (!(key in current) || !JSONExt.deepEqual(current[key] as PartialJSONValue, value as PartialJSONValue)) {
      notebook.setMetadata(key, value as PartialJSONValue);
    }
  }
}

function sourceText(source: nbformat.MultilineString | undefined): string {
  return Array.isArray(source) ? source.join('') : (source ?? '');
}

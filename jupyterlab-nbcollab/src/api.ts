/**
 * Requests to the server extension (`<base_url>/nbcollab/...`), through JupyterLab's own
 * connection: its token or cookie, and its XSRF header on every POST.
 */
import { URLExt } from '@jupyterlab/coreutils';
import * as nbformat from '@jupyterlab/nbformat';
import { ServerConnection } from '@jupyterlab/services';

/** An answer of the server that says why it refused (its message is for people). */
export class NbcollabError extends Error {}

/**
 * Call one endpoint. `query` goes in the URL; `body` (a notebook as JSON text) is sent as is,
 * so that the server parses it once.
 */
export async function request<T>(
  route: string,
  query: Record<string, string>,
  body?: string
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url =
    URLExt.join(settings.baseUrl, 'nbcollab', route) +
    URLExt.objectToQueryString(query);
  const init: RequestInit =
    body === undefined ? { method: 'GET' } : { method: 'POST', body };
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const said = data as { message?: string; reason?: string } | null;
    const why =
      said?.message || said?.reason || `${response.status} ${response.statusText}`;
    throw new NbcollabError(String(why));
  }
  return data as T;
}

/** One side of a conflict as text; null: that side deleted the cell. */
export type SideText = string | null;

/** One unresolved conflict, as the server describes it. */
export interface IConflict {
  number: number;
  cell: number;
  cell_id: string | null;
  kind: string;
  description: string;
  choices: string[];
  sides: { base: SideText; ours: SideText; theirs: SideText };
}

/** Git's view of the notebook: unmerged (conflict stages in the index) or not. */
export interface IGitState {
  repository: boolean;
  unmerged: boolean;
  stages: number[];
  notebook?: boolean;
  problem?: string;
}

/** The conflicts of a notebook and the branch names of the merge. */
export interface IConflictReport {
  labels: { ours: string; theirs: string };
  stale: number;
  edited: number[];
  /** Cells without a recorded conflict whose text holds conflict marker lines (an undo after
   * "Mark resolved" brings them back, say). */
  marked?: number[];
  conflicts: IConflict[];
  git?: IGitState;
}

/** What resolving changed: cells by index in the notebook that was sent, one removed. */
export interface IResolution extends IConflictReport {
  changed: { index: number; cell: nbformat.ICell }[];
  removed: number | null;
  metadata: nbformat.INotebookMetadata;
  /** Outputs came back from the output cache (clearing a notebook left without conflicts). */
  restored?: boolean;
}

/** One static lint finding (cell is an index into the notebook's cells). */
export interface IFinding {
  code: string;
  message: string;
  cell: number;
  cell_id: string | null;
  line: number;
  column: number;
}

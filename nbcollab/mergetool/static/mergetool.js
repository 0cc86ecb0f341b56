// The page's only script: sends actions to the local server and shows the HTML it sends back.
// Nothing from a notebook runs here: the server escapes and sanitizes it, and the page's
// Content-Security-Policy allows no script but this file.
//
// What someone types in a result editor is never dropped: it stays in its box until it is
// applied (Apply edit, Save, or any other choice applies it first), discarded on purpose
// (Discard edit), or the person confirms Quit; a refused or failed request leaves it in place,
// and leaving the page while it is pending asks first.
const notebooks = document.getElementById("notebooks");
const counter = document.getElementById("counter");
const message = document.getElementById("message");
let current = -1;
let finished = false; // saved or quit: the server has stopped
let unsaved = false; // choices or edits the server holds that Save has not written yet
let quitArmed = false; // Quit was clicked once with work pending: a second click confirms
const styleNonce = document.querySelector("meta[name=nbcollab-style-nonce]").content;
let editor = null; // the CodeMirror bundle, once loaded; without it the text areas stay
const views = new WeakMap(); // text area -> its CodeMirror view

import("./codemirror.js").then((module) => {
  editor = module;
  enhance();
}).catch(() => {});

function enhance() {
  if (editor === null) return;
  for (const area of notebooks.querySelectorAll("textarea.editor:not([data-enhanced])")) {
    area.dataset.enhanced = "1";
    const cm = editor;
    const extensions = [
      cm.EditorView.cspNonce.of(styleNonce),
      cm.lineNumbers(), cm.history(), cm.drawSelection(), cm.highlightActiveLine(),
      cm.bracketMatching(), cm.indentUnit.of("    "),
      cm.syntaxHighlighting(cm.defaultHighlightStyle, { fallback: true }),
      cm.keymap.of([...cm.defaultKeymap, ...cm.historyKeymap, cm.indentWithTab]),
      cm.EditorView.lineWrapping,
      cm.EditorView.contentAttributes.of({ "aria-label": "Result (editable)" }),
      // The text area stays the value that "Apply edit" sends.
      cm.EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        area.value = update.state.doc.toString();
        markPending(area);
        disarmQuit();
      }),
    ];
    if (finished) extensions.push(cm.EditorView.editable.of(false), cm.EditorState.readOnly.of(true));
    if (area.dataset.lang === "python") extensions.push(cm.python());
    const view = new cm.EditorView({ doc: area.value, extensions });
    views.set(area, view);
    area.insertAdjacentElement("afterend", view.dom);
    area.hidden = true;
  }
}

// The text the server last sent for a cell, as a text area reads it (line ends as "\n").
function original(area) {
  return area.defaultValue.replace(/\r\n?/g, "\n");
}

function isPending(area) {
  return !area.readOnly && area.value !== original(area);
}

function pendingAreas() {
  return Array.from(notebooks.querySelectorAll("textarea.editor")).filter(isPending);
}

function markPending(area) {
  const box = area.closest(".result");
  const pending = isPending(area);
  box.classList.toggle("pending", pending);
  for (const part of box.querySelectorAll(".pending-note, [data-action=discard]")) {
    part.hidden = !pending;
  }
}

function setText(area, text) {
  area.value = text;
  const view = views.get(area);
  if (view && view.state.doc.toString() !== text) {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  }
  markPending(area);
}

function cellName(area) {
  const names = document.querySelectorAll(".notebook h1");
  const file = names.length > 1 ? ` of ${names[Number(area.dataset.file)].firstChild.textContent.trim()}` : "";
  return `cell ${area.dataset.cell}${file}`;
}

async function post(route, body) {
  let reply;
  try {
    reply = await fetch(route, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    say("The mergetool is not running any more: nothing more can be saved from this page "
      + "(what you typed is still here to copy).", "error");
    return null;
  }
  const state = await reply.json().catch(() => null);
  if (state === null) {
    say(`Refused by the mergetool (${reply.status}); nothing changed.`, "error");
    return null;
  }
  show(state);
  say(state.error || "", "error");
  return state;
}

function say(text, kind) {
  message.textContent = text;
  message.className = text ? kind : "";
}

function show(state) {
  // Text typed and not applied yet is put back in its cell's new box: the server's text for a
  // cell is unchanged by any action the page lets through while the cell has pending text.
  const pending = pendingAreas().map((area) => ({
    id: area.id, base: original(area), text: area.value,
  }));
  finished = state.done;
  unsaved = state.unsaved;
  notebooks.innerHTML = state.html; // rendered and sanitized by the server
  counter.textContent = state.counter;
  counter.classList.toggle("done", state.left === 0);
  const orphans = [];
  for (const draft of pending) {
    const area = document.getElementById(draft.id);
    if (area && original(area) === draft.text) continue; // it was just applied
    if (area && original(area) === draft.base) area.value = draft.text;
    else orphans.push(draft);
  }
  if (state.done) {
    for (const button of document.querySelectorAll("button")) button.disabled = true;
    for (const area of document.querySelectorAll("textarea")) area.readOnly = true;
  }
  enhance();
  for (const area of notebooks.querySelectorAll("textarea.editor")) markPending(area);
  for (const draft of orphans) keepAside(draft);
}

// Last resort, never expected: pending text whose cell changed under it is shown to copy.
function keepAside(draft) {
  const box = document.createElement("div");
  box.className = "kept-aside";
  const note = document.createElement("p");
  note.textContent = "Text you typed for a cell that has changed since; copy what you need:";
  const text = document.createElement("textarea");
  text.readOnly = true;
  text.value = draft.text;
  box.append(note, text);
  notebooks.prepend(box);
}

// Apply every pending edit (in page order), as "Apply edit" would; false if one is refused.
async function applyPending() {
  for (const draft of pendingAreas()) {
    const area = document.getElementById(draft.id); // the page is re-rendered after each one
    if (!area || !isPending(area)) continue;
    const state = await post("api/action", {
      action: "edit", file: Number(area.dataset.file), cell: Number(area.dataset.cell),
      text: area.value,
    });
    if (state === null || state.error) return false;
  }
  return true;
}

function conflicts() {
  return Array.from(notebooks.querySelectorAll(".conflict"));
}

function go(step) {
  const all = conflicts();
  if (all.length === 0) {
    say("No conflict left.", "ok");
    return;
  }
  current = (current + step + all.length) % all.length;
  for (const node of all) node.classList.remove("current");
  const target = all[current];
  target.classList.add("current");
  target.scrollIntoView({ block: "center" });
  target.focus({ preventScroll: true });
}

function refuse(area, why) {
  say(`${cellName(area)} has text you typed and did not apply: ${why}`, "error");
  area.closest(".result").scrollIntoView({ block: "center" });
  const view = views.get(area);
  (view || area).focus();
}

async function choose(button) {
  const data = button.dataset;
  const box = button.closest(".cell");
  const cell = box && box.querySelector("textarea.editor");
  if (cell && isPending(cell)) {
    return refuse(cell, "Apply edit to keep it, or Discard edit, before choosing a side here.");
  }
  if (!(await applyPending())) return null;
  current = Math.max(-1, current - 1); // the next conflict moves into this place
  if (data.action === "file") {
    return post("api/action", { action: "file", file: Number(data.file), keep: data.keep === "true" });
  }
  return post("api/action", {
    action: "choose", file: Number(data.file), number: Number(data.number), choice: data.choice,
  });
}

async function undo() {
  const pending = pendingAreas();
  if (pending.length) {
    return refuse(pending[0], "Apply edit or Discard edit first (Ctrl-Z inside the editor "
      + "undoes typing).");
  }
  return post("api/action", { action: "undo" });
}

async function save() {
  if (!(await applyPending())) return null; // the reason is shown; the text stays in its box
  const state = await post("api/save");
  if (state && state.done) {
    say(`Saved. ${state.counter}. You can close this page.\n${state.saved.join("\n")}`, "ok");
  }
  return state;
}

async function quit(button) {
  const typed = pendingAreas().length;
  if ((typed || unsaved) && !quitArmed) {
    const what = typed ? `text typed in ${typed} cell${typed > 1 ? "s" : ""}` : "your choices";
    say(`Quitting now throws away ${what}: click "Quit without saving" again to confirm, `
      + "or Save.", "error");
    quitArmed = true;
    button.textContent = "Really quit without saving";
    return null;
  }
  const state = await post("api/quit");
  if (state && state.done) say("Nothing was saved. You can close this page.", "ok");
  return state;
}

function edit(data) {
  const area = document.getElementById(`r-${data.file}-${data.cell}`);
  if (!isPending(area)) return null; // the text is the cell's already
  return post("api/action", {
    action: "edit", file: Number(data.file), cell: Number(data.cell), text: area.value,
  });
}

async function act(button) {
  const data = button.dataset;
  if (data.action !== "quit") disarmQuit();
  switch (data.action) {
    case "next":
      return go(1);
    case "previous":
      return go(-1);
    case "undo":
      return undo();
    case "choose":
    case "file":
      return choose(button);
    case "edit":
      return edit(data);
    case "discard": {
      const area = document.getElementById(`r-${data.file}-${data.cell}`);
      setText(area, original(area));
      return say("", "");
    }
    case "save":
      return save();
    case "quit":
      return quit(button);
  }
  return null;
}

function disarmQuit() {
  quitArmed = false;
  const button = document.querySelector("button[data-action=quit]");
  if (button) button.textContent = "Quit without saving";
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button && !button.disabled) act(button);
});

document.addEventListener("input", (event) => {
  if (!event.target.matches("textarea.editor")) return;
  markPending(event.target);
  disarmQuit();
});

document.addEventListener("keydown", (event) => {
  const typing = event.target.closest("textarea, input, [contenteditable]");
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "n") go(1);
  else if (event.key === "p") go(-1);
  else if (event.key === "u") undo();
  else return;
  event.preventDefault();
});

// Tab in the plain text area (before the editor loads) indents instead of leaving it.
document.addEventListener("keydown", (event) => {
  const area = event.target;
  if (event.key !== "Tab" || !(area instanceof HTMLTextAreaElement) || event.shiftKey) return;
  event.preventDefault();
  area.setRangeText("    ", area.selectionStart, area.selectionEnd, "end");
  markPending(area);
});

// Closing or reloading the page would lose typed text and unsaved choices: the browser asks.
window.addEventListener("beforeunload", (event) => {
  if (finished || (!unsaved && pendingAreas().length === 0)) return;
  event.preventDefault();
  event.returnValue = "";
});

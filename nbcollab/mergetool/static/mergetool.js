// The page's only script: sends actions to the local server and shows the HTML it sends back.
// Nothing from a notebook runs here: the server escapes and sanitizes it, and the page's
// Content-Security-Policy allows no script but this file.
const notebooks = document.getElementById("notebooks");
const counter = document.getElementById("counter");
const message = document.getElementById("message");
let current = -1;
const styleNonce = document.querySelector("meta[name=nbcollab-style-nonce]").content;
let editor = null; // the CodeMirror bundle, once loaded; without it the text areas stay

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
        if (update.docChanged) area.value = update.state.doc.toString();
      }),
    ];
    if (area.dataset.lang === "python") extensions.push(cm.python());
    const view = new cm.EditorView({ doc: area.value, extensions });
    area.insertAdjacentElement("afterend", view.dom);
    area.hidden = true;
  }
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
    say("The mergetool is not running any more (nothing was lost on disk).");
    return null;
  }
  const state = await reply.json().catch(() => null);
  if (state === null) {
    say(`Refused (${reply.status}).`);
    return null;
  }
  show(state);
  say(state.error || "");
  return state;
}

function say(text) {
  message.textContent = text;
}

function show(state) {
  notebooks.innerHTML = state.html; // rendered and sanitized by the server
  counter.textContent = state.counter;
  enhance();
  if (state.done) {
    for (const button of document.querySelectorAll("button")) button.disabled = true;
    for (const area of document.querySelectorAll("textarea")) area.readOnly = true;
  }
}

function conflicts() {
  return Array.from(notebooks.querySelectorAll(".conflict"));
}

function go(step) {
  const all = conflicts();
  if (all.length === 0) {
    say("No conflict left.");
    return;
  }
  current = (current + step + all.length) % all.length;
  for (const node of all) node.classList.remove("current");
  const target = all[current];
  target.classList.add("current");
  target.scrollIntoView({ block: "center" });
  target.focus({ preventScroll: true });
}

async function act(button) {
  const data = button.dataset;
  switch (data.action) {
    case "next":
      return go(1);
    case "previous":
      return go(-1);
    case "undo":
      return post("api/action", { action: "undo" });
    case "choose":
      current = Math.max(-1, current - 1); // the next conflict moves into this place
      return post("api/action", {
        action: "choose", file: Number(data.file), number: Number(data.number),
        choice: data.choice,
      });
    case "edit": {
      const area = document.getElementById(`r-${data.file}-${data.cell}`);
      return post("api/action", {
        action: "edit", file: Number(data.file), cell: Number(data.cell), text: area.value,
      });
    }
    case "file":
      return post("api/action", { action: "file", file: Number(data.file), keep: data.keep === "true" });
    case "save": {
      const state = await post("api/save");
      if (state && state.done) {
        say(`Saved. ${state.counter}. You can close this page.\n${state.saved.join("\n")}`);
      }
      return state;
    }
    case "quit": {
      const state = await post("api/quit");
      if (state && state.done) say("Nothing was saved. You can close this page.");
      return state;
    }
  }
  return null;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button && !button.disabled) act(button);
});

document.addEventListener("keydown", (event) => {
  const typing = event.target.closest("textarea, input, [contenteditable]");
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "n") go(1);
  else if (event.key === "p") go(-1);
  else if (event.key === "u") post("api/action", { action: "undo" });
  else return;
  event.preventDefault();
});

// Tab in the plain text area (before the editor loads) indents instead of leaving it.
document.addEventListener("keydown", (event) => {
  const area = event.target;
  if (event.key !== "Tab" || !(area instanceof HTMLTextAreaElement) || event.shiftKey) return;
  event.preventDefault();
  area.setRangeText("    ", area.selectionStart, area.selectionEnd, "end");
});

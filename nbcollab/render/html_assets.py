"""The review page's own stylesheet and navigation script, and the CSP that admits only them.

The script and the stylesheet are allowed by their SHA-256 hashes (``script-src 'sha256-...'``),
never by ``'unsafe-inline'``: markup from a notebook that got past the sanitizer could neither
run a script nor add a style, because its text would not have the hash.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

_CSS = """
:root{--add:#e6ffec;--add-strong:#abf2bc;--del:#ffebe9;--del-strong:#ffc1c0;--line:#d0d7de;
--muted:#57606a;--chip:#eef1f4;--mod:#9a6700}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;
background:#fff}
main{max-width:1400px;margin:0 auto;padding:0 1.2em 4em}
header.top{padding:1em 1.2em .4em;max-width:1400px;margin:0 auto}
h1{font-size:1.35em;margin:.2em 0 .5em}h2{font-size:1.15em;margin:0}
.summary{display:flex;flex-wrap:wrap;gap:.4em;margin:.3em 0}
.summary .num{font-weight:600}
nav.bar{position:sticky;top:0;z-index:5;background:#f6f8fa;border-bottom:1px solid var(--line);
padding:.4em 1.2em;display:flex;gap:.6em;align-items:center;font-size:.9em}
nav.bar button{font:inherit;padding:.15em .8em;border:1px solid var(--line);border-radius:6px;
background:#fff;cursor:pointer}
nav.bar kbd{font-size:.85em;border:1px solid var(--line);border-radius:4px;padding:0 .3em;
background:#fff}
nav.toc{border:1px solid var(--line);border-radius:8px;padding:.5em 1em;margin:1em 0}
nav.toc ol{margin:.2em 0;padding-left:1.4em}nav.toc ol ol{font-size:.9em;column-width:24em}
nav.toc .snip{color:var(--muted);font:12px ui-monospace,Menlo,Consolas,monospace;margin-left:.6em}
nav.toc a{text-decoration:none;color:#0969da}nav.toc a:hover{text-decoration:underline}
article.notebook{margin:2em 0;content-visibility:auto;contain-intrinsic-size:auto 60em}
article.notebook>header{border-bottom:2px solid var(--line);padding:.3em 0;margin-bottom:.6em}
.sub{color:var(--muted);font-size:.9em}
section.cell{border:1px solid var(--line);border-radius:8px;margin:.8em 0;padding:.5em .8em;
scroll-margin-top:3.2em}
section.cell.added{border-left:5px solid #2da44e}section.cell.removed{border-left:5px solid #cf222e}
section.cell.modified{border-left:5px solid #bf8700}section.cell.current{outline:3px solid #0969da}
.cellhead{display:flex;flex-wrap:wrap;gap:.45em;align-items:center;margin-bottom:.4em}
.badge{font-size:.75em;font-weight:600;border-radius:1em;padding:.05em .6em;border:1px solid}
.badge.added{color:#1a7f37;background:var(--add)}.badge.removed{color:#cf222e;background:var(--del)}
.badge.modified,.badge.moved,.badge.changed{color:var(--mod);background:#fff8c5}
.badge.identical{color:var(--muted);background:var(--chip)}
.badge.published{color:#0550ae;background:#ddf4ff}
p.origin{margin:.3em 0;font-size:.88em;color:var(--muted);overflow-wrap:anywhere}
p.unreadable{margin:.2em 0;overflow-wrap:anywhere}
.chips{display:flex;flex-wrap:wrap;gap:.35em;list-style:none;padding:0;margin:.4em 0}
.chip{background:var(--chip);border-radius:1em;padding:.05em .65em;font-size:.82em;
max-width:100%;overflow-wrap:anywhere}
.chips .muted{font-size:.82em}.summary .zero{opacity:.55}
.chip.tag{background:#ddf4ff;color:#0550ae}.chip .key{font-weight:600}
.chip del{background:var(--del-strong);text-decoration:line-through}
.chip ins{background:var(--add-strong);text-decoration:none}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:.8em}.side{min-width:0;overflow:auto}
table.src{border-collapse:collapse;width:100%;font:13.5px/1.5 ui-monospace,"SFMono-Regular",
Menlo,Consolas,"DejaVu Sans Mono",monospace;table-layout:fixed}
table.src td{vertical-align:top;white-space:pre-wrap;overflow-wrap:anywhere;padding:0 .5em}
table.src td.lno{color:#8c959f;text-align:right;width:3.2em;user-select:none;padding:0 .4em}
table.src td.del{background:var(--del)}table.src td.ins{background:var(--add)}
table.src td.gap{background:#f6f8fa}
table.src del{background:var(--del-strong);text-decoration:none}
table.src ins{background:var(--add-strong);text-decoration:none}
details{margin:.4em 0}summary{cursor:pointer;color:var(--muted);font-size:.9em}
details.unchanged{border:1px dashed var(--line);border-radius:8px;padding:.3em .8em}
details.unchanged .cell{border-style:dashed}
.output{border-left:3px solid var(--line);padding-left:.6em;margin:.5em 0}
.output.added{border-color:#2da44e}.output.removed{border-color:#cf222e}
.ohead{color:var(--muted);font-size:.8em}.output pre{max-height:30em;overflow:auto}
.output pre.error{background:#fdecec}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:.4em .6em;margin:.2em 0;
font:13px/1.45 ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;border-radius:6px}
.md{border:1px solid #eaeef2;border-radius:6px;padding:.2em .8em}
.muted{color:var(--muted)}img{max-width:100%;height:auto}
.imgpair img{border:1px solid var(--line);border-radius:4px;background:#fff}
.html{overflow:auto;max-height:32em}
.html table{border-collapse:collapse;font-size:.85em;margin:.3em 0}
.html th,.html td{border:1px solid var(--line);padding:.2em .6em;text-align:right}
.html thead th{background:#f6f8fa}.html tbody th{text-align:left;background:#fafbfc}
.html tbody tr:nth-child(even) td{background:#fafbfc}.html tbody tr:hover td{background:#fff8c5}
"""

_SCRIPT = """
(function () {
  var changes = Array.prototype.slice.call(document.querySelectorAll("section.change"));
  var counter = document.getElementById("nav-pos");
  var pos = -1;
  function visible(el) {
    var r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  }
  function fromViewport() {
    // The last change whose top is above the viewport's. Changes come in document order, so
    // their tops grow: a binary search asks only a few of them where they are (asking lays out
    // the notebook a change is in, which the page skips while it is off screen).
    var low = 0, high = changes.length - 1, k = -1;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (changes[middle].getBoundingClientRect().top <= 60) {
        k = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return k;
  }
  function go(step) {
    if (!changes.length) { return; }
    var here = (pos >= 0 && visible(changes[pos])) ? pos : fromViewport();
    mark(Math.max(0, Math.min(changes.length - 1, here + step)));
    changes[pos].scrollIntoView({block: "start"});
  }
  function mark(k) {
    if (pos >= 0) { changes[pos].classList.remove("current"); }
    pos = k;
    changes[pos].classList.add("current");
    counter.textContent = (pos + 1) + " / " + changes.length;
  }
  window.addEventListener("hashchange", function () {
    // A link to a change (the contents) makes it the current one, even near the page's end.
    var k = changes.indexOf(document.getElementById(location.hash.slice(1)));
    if (k >= 0) { mark(k); }
  });
  document.getElementById("nav-next").addEventListener("click", function () { go(1); });
  document.getElementById("nav-prev").addEventListener("click", function () { go(-1); });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    if (e.key === "n" || e.key === "j") { go(1); e.preventDefault(); }
    if (e.key === "p" || e.key === "k") { go(-1); e.preventDefault(); }
  });
})();
"""


def page_script() -> str:
    """The navigation script, exactly as it stands between ``<script>`` tags (hashed in the CSP)."""
    return _SCRIPT


@lru_cache(maxsize=1)
def page_stylesheet() -> str:
    """The page's one stylesheet: layout, diff colours and Pygments' token classes under ``.hl``."""
    from pygments.formatters import HtmlFormatter

    tokens = HtmlFormatter(style="default").get_style_defs(".hl").splitlines()
    return _CSS + "\n".join(line for line in tokens if line.startswith(".hl .")) + "\n"


def content_security_policy(stylesheet: str, script: str) -> str:
    """Nothing may load or run but this stylesheet, this script and ``data:`` images."""
    return (
        "default-src 'none'; img-src data:; "
        f"style-src '{_sha256(stylesheet)}'; script-src '{_sha256(script)}'; "
        "base-uri 'none'; form-action 'none'"
    )


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")

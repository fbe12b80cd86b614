"""The status page's two files and the headers every part of it is served with: no inline
script or style, so the Content-Security-Policy can forbid both."""

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

SCRIPT = """"use strict";
// Fetches the page again every 2 s and swaps the new <main> in; the page reads fine without it.
(function () {
  var refreshes = 0;
  function again() { window.setTimeout(refresh, 2000); }
  function refresh() {
    window.fetch(window.location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("status");
        var old = document.getElementById("status");
        if (fresh && old) {
          refreshes += 1;
          fresh.setAttribute("data-refreshes", String(refreshes));
          old.replaceWith(document.importNode(fresh, true));
        }
      })
      .catch(function () {
        var old = document.getElementById("status");
        if (old) { old.classList.add("unreachable"); }
      })
      .then(again, again);
  }
  again();
})();
"""

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1b1f24; }
main { max-width: 760px; margin: 0 auto; padding: 16px 20px 40px; }
main.unreachable { opacity: .55; }
h1 { font-size: 22px; margin: 8px 0 2px; }
h2 { font-size: 15px; margin: 22px 0 6px; text-transform: uppercase; color: #57606a; }
.meta { color: #57606a; margin: 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; }
.pass, .primary, .closed { background: #1a7f37; }
.warn, .fallback, .half_open { background: #bf8700; }
.fail, .open { background: #cf222e; }
.not_configured { background: #57606a; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #d0d7de; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg { background: #fff; border: 1px solid #d0d7de; max-width: 100%; height: auto; }
svg .req { stroke: #0969da; fill: none; stroke-width: 2; }
svg .err { stroke: #cf222e; fill: none; stroke-width: 2; }
svg .axis { stroke: #8c959f; stroke-width: 1; }
svg text { font-size: 11px; fill: #57606a; }
.legend-req { color: #0969da; }
.legend-err { color: #cf222e; }
"""

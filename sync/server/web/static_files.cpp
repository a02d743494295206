// The console's stylesheet and its one script, served from the binary (no CDN, no npm): plain
// CSS and a few lines of JavaScript that show the counts each live event carries.
#include "sync/server/web/static_files.hpp"

namespace muster::server::web {

std::string_view console_css() {
  return R"css(:root { color-scheme: light; --ink: #1b1f24; --muted: #4a5560; --line: #c9d1d9;
  --accent: #0b5cad; --danger: #a4161a; --bg: #ffffff; --band: #eef2f6; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; gap: 1rem; align-items: center; padding: .75rem 1rem;
  background: var(--band); border-bottom: 1px solid var(--line); flex-wrap: wrap; }
header .brand { font-weight: 700; color: var(--ink); text-decoration: none; margin-right: auto; }
main { padding: 1rem; max-width: 72rem; margin: 0 auto; }
a { color: var(--accent); }
a:focus, button:focus, input:focus { outline: 3px solid #f0a500; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .5rem; border-bottom: 1px solid var(--line); }
td.num { text-align: right; font-variant-numeric: tabular-nums; font-size: 1.25rem; }
form.inline { display: inline; }
form.login { display: grid; gap: .5rem; max-width: 22rem; }
input { font: inherit; padding: .5rem; border: 1px solid var(--muted); border-radius: 4px; }
button { font: inherit; padding: .5rem 1rem; border-radius: 4px; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; cursor: pointer; }
.danger { margin-top: 2rem; padding: 1rem; border: 1px solid var(--danger); border-radius: 6px; }
.danger button { background: var(--danger); border-color: var(--danger); }
.error { color: var(--danger); font-weight: 600; }
.status { color: var(--muted); }
@media (max-width: 40rem) { th, td { padding: .35rem; font-size: .9rem; } }
)css";
}

std::string_view console_js() {
  return R"js('use strict';
// Live counts: one EventSource per page. Each "scans" (or "closed") event carries the counts and
// the timeline, computed once by the server for every open page, so an update costs no request.
// An event without them (the server could not compute them) makes the page fetch /counts once;
// a fetch in flight absorbs further events.
(function () {
  var id = document.body.getAttribute('data-event-id');
  if (!id || !window.EventSource) return;
  var base = '/console/events/' + encodeURIComponent(id);
  var status = document.querySelector('[data-testid="live-status"]');
  var busy = false, again = false;
  function set(testid, value) {
    var el = document.querySelector('[data-testid="' + testid + '"]');
    if (el && el.textContent !== String(value)) el.textContent = String(value);
  }
  function show(counts, timeline) {
    counts.sessions.forEach(function (s) {
      set('arrived-' + s.id, s.arrived);
      set('inside-' + s.id, s.inside);
      set('left-' + s.id, s.left_early);
    });
    var asOf = document.querySelector('[data-testid="as-of"]');
    if (asOf) asOf.textContent = new Date(counts.as_of).toLocaleTimeString();
    // Other live parts (the timeline chart, timeline.js) refresh on this; without the
    // timeline in the detail they fetch it.
    document.dispatchEvent(new CustomEvent('muster-live', { detail: timeline || null }));
  }
  function refresh() {
    if (!window.fetch) return;
    if (busy) { again = true; return; }
    busy = true;
    fetch(base + '/counts', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d) show(d, null); })
      .catch(function () {})
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  var source = new EventSource(base + '/live');
  var seen = null; // the server's generation the counts on screen reflect
  function news(e) {
    var d = null;
    try { d = JSON.parse(e.data); } catch (err) { d = null; }
    var generation = d && typeof d === 'object' ? d.generation : e.data;
    if (d && d.live) { seen = generation; show(d.live.counts, d.live.timeline); return; }
    if (d && d.pending) return; // a new stream: its data follows
    if (generation === seen) return; // a reconnect without news: no fetch
    seen = generation;
    refresh();
  }
  source.addEventListener('scans', news);
  source.addEventListener('closed', news);
  source.onopen = function () { if (status) status.textContent = 'live'; };
  source.onerror = function () { if (status) status.textContent = 'reconnecting'; };
})();
)js";
}

} // namespace muster::server::web

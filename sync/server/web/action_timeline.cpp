// The event page's timeline of arrivals and leaves per session: the data as JSON
// (/console/events/{id}/timeline), Debian's Chart.js (libjs-chart.js, from the build tree or
// /usr/share/javascript; no CDN) and the small script that draws it, plus the actions' style.
#include <httplib.h>

#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

#include "sync/server/live_hub.hpp"
#include "sync/server/web/actions.hpp"
#include "sync/server/web/console_http.hpp"
#include "sync/server/web/event_view.hpp"
#include "sync/server/web/timeline.hpp"

namespace muster::server::web {

namespace {

// Draws one bar chart per session into [data-testid="timeline"]; each canvas gets
// data-drawn="1" once Chart.js drew it (the browser test waits for that). Each live update
// (console.js fires "muster-live" with the event's timeline, else it fetches the data) updates
// the charts in place; data-arrivals/data-leaves on each canvas are the totals drawn.
constexpr std::string_view kTimelineJs = R"js('use strict';
(function () {
  var box = document.querySelector('[data-testid="timeline"]');
  if (!box) return;
  var note = box.querySelector('.chart-note');
  if (!window.Chart || !window.fetch) {
    if (note) note.textContent = 'The chart needs Debian\'s libjs-chart.js on the server.';
    return;
  }
  var charts = {}; // session id -> Chart
  function sum(a) { return a.reduce(function (t, v) { return t + v; }, 0); }
  function totals(canvas, s) {
    canvas.setAttribute('data-arrivals', String(sum(s.arrivals)));
    canvas.setAttribute('data-leaves', String(sum(s.leaves)));
  }
  function draw(s) {
    var figure = document.createElement('figure');
    figure.className = 'chart';
    var caption = document.createElement('figcaption');
    caption.textContent = s.id + ' ' + s.title + ': arrivals and leaves per 5 minutes';
    var holder = document.createElement('div');
    holder.className = 'chart-canvas';
    var canvas = document.createElement('canvas');
    canvas.setAttribute('data-testid', 'timeline-' + s.id);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', caption.textContent);
    holder.appendChild(canvas);
    figure.appendChild(caption);
    figure.appendChild(holder);
    box.appendChild(figure);
    charts[s.id] = new window.Chart(canvas.getContext('2d'), {
      type: 'bar',
      data: { labels: s.labels, datasets: [
        { label: 'Arrivals', data: s.arrivals, backgroundColor: '#1a7f37' },
        { label: 'Leaves', data: s.leaves, backgroundColor: '#a4161a' }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    totals(canvas, s);
    canvas.setAttribute('data-drawn', '1');
  }
  function update(s) {
    var chart = charts[s.id];
    if (!chart) return draw(s);
    chart.data.labels = s.labels;
    chart.data.datasets[0].data = s.arrivals;
    chart.data.datasets[1].data = s.leaves;
    chart.update();
    totals(chart.canvas, s);
  }
  var busy = false, again = false;
  function load() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(box.getAttribute('data-src'), { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        if (note) note.textContent = '';
        d.sessions.forEach(update);
      })
      .catch(function () { if (note) note.textContent = 'The timeline could not be loaded.'; })
      .then(function () { busy = false; if (again) { again = false; load(); } });
  }
  // A live event carries the timeline (console.js passes it): no request; else fetch it.
  document.addEventListener('muster-live', function (e) {
    if (e.detail && e.detail.sessions) {
      if (note) note.textContent = '';
      e.detail.sessions.forEach(update);
    } else {
      load();
    }
  });
  load();
})();
)js";

constexpr std::string_view kActionsCss = R"css(.chart { margin: 1rem 0; }
.chart-canvas { position: relative; height: 14rem; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; padding: 0; list-style: none; }
.qr svg { width: 14rem; height: 14rem; background: #fff; }
code.big { font-size: 1.5rem; letter-spacing: .1em; }
form.action { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .25rem 0; }
form.action label { display: grid; gap: .1rem; }
.done { color: #1a7f37; font-weight: 600; }
)css";

// Chart.js read once (it does not change under a running server).
const std::string* chart_js() {
  static std::once_flag once;
  static std::string text;
  static bool found = false;
  std::call_once(once, [] {
    if (auto path = find_chart_js()) {
      std::ifstream in(*path, std::ios::binary);
      std::ostringstream buffer;
      buffer << in.rdbuf();
      text = buffer.str();
      found = in.good() || in.eof();
    }
  });
  return found && !text.empty() ? &text : nullptr;
}

} // namespace

void route_timeline(httplib::Server& server, const ConsoleOptions& options) {
  server.Get(R"(/console/events/([^/]+)/timeline)", [options](const httplib::Request& req,
                                                              httplib::Response& res) {
    auto accounts = open_accounts(options.database, res);
    if (!accounts) return;
    if (!signed_in(req, *accounts)) return send_text(res, 401, "sign in first");
    const std::string event_id = req.matches[1];
    if (!valid_event_id(event_id)) return send_text(res, 404, "no such event");
    auto store = open_server_store(options.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    auto event = (*store)->event(event_id);
    if (!event) {
      return send_text(res, event.code() == DbError::not_found ? 404 : 503,
                       event.code() == DbError::not_found ? "no such event"
                                                          : "the database is unavailable");
    }
    // Computed once per change of the event's data, with the page's counts (event_view.hpp).
    std::string error;
    const auto view =
        options.views->get(**store, *event, options.live ? options.live->published() : 0, error);
    const std::optional<std::string> body =
        view ? std::optional<std::string>(view->timeline_json) : std::nullopt;
    if (!body) return send_text(res, 503, "the timeline is unavailable");
    secure_headers(res);
    res.set_header("Connection", "close"); // as the counts (console.cpp): frees the worker
    res.set_content(*body, "application/json");
  });
  server.Get("/console/static/chart.js/chart.min.js",
             [](const httplib::Request&, httplib::Response& res) {
               const std::string* text = chart_js();
               if (text == nullptr) {
                 return send_text(res, 404, "libjs-chart.js is not installed on this server");
               }
               res.set_header("Cache-Control", "max-age=3600");
               res.set_header("X-Content-Type-Options", "nosniff");
               res.set_content(*text, "text/javascript; charset=utf-8");
             });
  server.Get("/console/static/timeline.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=300");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(std::string(kTimelineJs), "text/javascript; charset=utf-8");
  });
  server.Get("/console/static/actions.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=300");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(std::string(kActionsCss), "text/css; charset=utf-8");
  });
}

} // namespace muster::server::web

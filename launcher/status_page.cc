// The live page of lasynth-launch's monitor: plain HTML and JavaScript (no network beyond the
// monitor itself), polling /status once a second.
#include "launcher/status_views.h"

namespace lasynth {
namespace launcher {

const std::string& status_page_html() {
  static const std::string page = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lasynth job</title>
<style>
 body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
 h1 { font-size: 1.3em; margin: 0 0 .3em; }
 #job { color: #555; margin-bottom: 1em; }
 #failure { color: #b00; font-weight: bold; }
 .charts { display: flex; gap: 1.5em; flex-wrap: wrap; }
 figure { margin: 0; }
 figcaption { font-weight: bold; margin-bottom: .3em; }
 canvas { border: 1px solid #ccc; }
 table { border-collapse: collapse; margin-top: 1.2em; }
 th, td { padding: .25em .8em; border-bottom: 1px solid #ddd; text-align: right; }
 th:nth-child(2), td:nth-child(2), th:nth-child(4), td:nth-child(4) { text-align: left; }
 tr.running td:nth-child(4) { color: #080; }
 tr.stalled td, tr.lost td, tr.failed td { color: #b00; }
 tr.straggler td:last-child { color: #c60; font-weight: bold; }
</style>
</head>
<body>
<h1>lasynth job</h1>
<div id="job">connecting…</div>
<div id="failure"></div>
<div class="charts">
 <figure><figcaption>loss (mean over ranks)</figcaption><canvas id="loss" width="460" height="220"></canvas></figure>
 <figure><figcaption>examples/s (sum over ranks)</figcaption><canvas id="rate" width="460" height="220"></canvas></figure>
</div>
<table id="ranks">
 <thead><tr><th>rank</th><th>host</th><th>pid</th><th>state</th><th>step</th><th>epoch</th>
 <th>loss</th><th>examples/s</th><th>since heartbeat (s)</th><th>since progress (s)</th>
 <th>straggler</th></tr></thead>
 <tbody></tbody>
</table>
<script>
function fmt(x, digits) { return x === null || x === undefined ? "–" : Number(x).toFixed(digits); }
function plot(id, points, key) {
  const c = document.getElementById(id), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const pts = points.filter(p => p[key] !== null);
  if (pts.length === 0) { g.fillStyle = "#888"; g.fillText("no data yet", 10, 20); return; }
  const left = 50, bottom = c.height - 25, w = c.width - left - 10, h = bottom - 10;
  const x0 = pts[0].step, x1 = Math.max(pts[pts.length - 1].step, x0 + 1);
  let y0 = Math.min(...pts.map(p => p[key])), y1 = Math.max(...pts.map(p => p[key]));
  if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
  g.strokeStyle = "#999"; g.beginPath(); g.moveTo(left, 10); g.lineTo(left, bottom);
  g.lineTo(left + w, bottom); g.stroke();
  g.fillStyle = "#444"; g.fillText(y1.toPrecision(3), 2, 16); g.fillText(y0.toPrecision(3), 2, bottom);
  g.fillText("step " + x0, left, bottom + 16); g.fillText("step " + x1, left + w - 60, bottom + 16);
  g.strokeStyle = "#1f6fd1"; g.lineWidth = 2; g.beginPath();
  pts.forEach((p, i) => {
    const x = left + w * (p.step - x0) / (x1 - x0), y = bottom - h * (p[key] - y0) / (y1 - y0);
    if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
  });
  g.stroke();
}
function render(s) {
  const j = s.job;
  document.getElementById("job").textContent =
    `${j.state} · ${j.ranks} ranks · attempt ${j.attempt} · ${fmt(j.elapsed_s, 0)} s · ${j.command}`;
  document.getElementById("failure").textContent = j.failure ? "failure: " + j.failure : "";
  const body = document.querySelector("#ranks tbody");
  body.replaceChildren(...s.ranks.map(r => {
    const tr = document.createElement("tr");
    tr.className = r.state + (r.straggler ? " straggler" : "");
    tr.dataset.rank = r.rank;
    [r.rank, r.host || "–", r.pid || "–", r.exit ? r.state + " (" + r.exit + ")" : r.state,
     r.step, r.epoch, fmt(r.loss, 4), fmt(r.examples_per_s, 1),
     fmt(r.seconds_since_heartbeat, 1), fmt(r.seconds_since_progress, 1),
     r.straggler ? "yes" : ""].forEach(v => {
      const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    });
    return tr;
  }));
  plot("loss", s.history, "loss");
  plot("rate", s.history, "examples_per_s");
}
async function poll() {
  try { render(await (await fetch("/status", {cache: "no-store"})).json()); }
  catch (e) { document.getElementById("job").textContent = "monitor unreachable: the job ended?"; }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
)HTML";
  return page;
}

}  // namespace launcher
}  // namespace lasynth

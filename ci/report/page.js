// SPDX-License-Identifier: GPL-2.0-or-later
// Renders the fuzzing report from the records embedded in the page (ci/fuzz-report
// inlines this file). Every text comes from the data through textContent, never as
// HTML, so a crash's summary cannot inject markup. Plots are inline SVG.
'use strict';

const RUNS = JSON.parse(document.getElementById('runs').textContent);
const SVG = 'http://www.w3.org/2000/svg';  // the SVG namespace name, not a download
const COLORS = ['var(--s1)', 'var(--s2)', 'var(--s3)', 'var(--s4)'];

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
const num = (n) => (n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US'));
function short(n) {
  const a = Math.abs(n);
  if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
  if (a >= 1e4) return (n / 1e3).toFixed(0) + 'k';
  if (a >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return String(Math.round(n * 10) / 10);
}
function niceTicks(lo, hi, count) {
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  // Every plotted value is a count: no tick between two integers.
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw));
  const ticks = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(v);
  return ticks;
}
// Tick labels: short (12k) only when that still tells neighbouring ticks apart.
function tickLabel(v, step) {
  return step >= 1000 || Math.abs(v) >= 1e6 ? short(v) : num(Math.round(v * 100) / 100);
}
function duration(s) {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

// One line plot. series: [{name, points: [[x, y], ...]}]; xfmt formats x tick labels.
function plot(title, series, opts) {
  const W = opts.width || 350, H = opts.height || 170;
  const m = {l: 48, r: 12, t: 22, b: 30};
  const s = svg('svg', {class: 'plot', width: W, height: H, viewBox: `0 0 ${W} ${H}`,
    role: 'img', 'aria-label': title});
  s.append(svg('text', {class: 'title', x: m.l, y: 14}, title));
  const pts = series.flatMap((x) => x.points);
  if (pts.length === 0) {
    s.append(svg('text', {x: W / 2, y: H / 2, 'text-anchor': 'middle'}, 'no status lines'));
    return s;
  }
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  if (opts.xFromZero) x0 = Math.min(0, x0);
  if (x1 === x0) x1 = x0 + 1;
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (opts.yFromZero) y0 = Math.min(0, y0);
  if (y1 === y0) { y1 = y0 + Math.max(1, Math.abs(y0) * 0.1); y0 = Math.max(0, y0 - (y1 - y0)); }
  const yt = niceTicks(y0, y1, 4);
  y0 = Math.min(y0, yt[0]); y1 = Math.max(y1, yt[yt.length - 1]);
  const X = (v) => m.l + (v - x0) / (x1 - x0) * (W - m.l - m.r);
  const Y = (v) => H - m.b - (v - y0) / (y1 - y0) * (H - m.t - m.b);
  const ystep = yt.length > 1 ? yt[1] - yt[0] : 1;
  for (const v of yt) {
    s.append(svg('line', {class: 'grid', x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v)}));
    s.append(svg('text', {x: m.l - 4, y: Y(v) + 4, 'text-anchor': 'end'}, tickLabel(v, ystep)));
  }
  const xt = opts.xTicks ? opts.xTicks : niceTicks(x0, x1, 4).filter((v) => v >= x0 && v <= x1);
  for (const v of xt) {
    s.append(svg('text', {x: X(v), y: H - m.b + 14, 'text-anchor': 'middle'},
      opts.xfmt ? opts.xfmt(v) : short(v)));
  }
  s.append(svg('line', {class: 'axis', x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b}));
  s.append(svg('text', {x: W - m.r, y: H - 3, 'text-anchor': 'end'}, opts.xlabel || ''));
  series.forEach((ser, i) => {
    const c = ser.color || COLORS[i % COLORS.length];
    const d = ser.points.map((p, j) => `${j ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join('');
    s.append(svg('path', {d, fill: 'none', stroke: c, 'stroke-width': 2}));
    for (const p of ser.points) {
      const dot = svg('circle', {cx: X(p[0]), cy: Y(p[1]), r: ser.points.length > 40 ? 1.5 : 2.5, fill: c});
      dot.append(svg('title', {}, `${ser.name}: ${num(p[1])} at ${opts.xfmt ? opts.xfmt(p[0]) : p[0]}`));
      s.append(dot);
    }
  });
  return s;
}

function stat(value, label) {
  return el('div', {class: 'stat'}, el('b', {}, value), el('span', {}, label));
}

function whereText(t) {
  if (!t.ran) return 'not run';
  if (t.new_inputs === 0) return 'no new inputs';
  if (t.added !== null && t.added !== undefined)
    return `${num(t.new_inputs)} new inputs merged into ${t.went} (+${t.added} \u2212${t.removed})`;
  let s = `${num(t.new_inputs)} new inputs kept in ${t.went || '(nowhere)'}`;
  if (t.not_merged) s += ` \u2014 not merged: ${t.not_merged}`;
  return s;
}

function targetCard(t) {
  const nc = (t.crashes || []).length;
  const card = el('section', {class: 'card', id: `target-${t.name}`},
    el('header', {}, el('h3', {}, t.name),
      el('span', {class: nc ? 'badge bad' : 'badge'},
        !t.ran ? 'not run' : nc ? `${nc} crash${nc > 1 ? 'es' : ''}` : 'no crashes')));
  if (!t.ran) return card;
  card.append(el('div', {class: 'stats'},
    stat(num(t.exec_s), 'exec/s (whole run)'), stat(num(t.cov), 'edges (cov)'),
    stat(num(t.ft), 'features (ft)'),
    stat(`${num(t.corpus_before)} \u2192 ${num(t.corpus_after)}`, 'corpus before \u2192 after'),
    stat(duration(t.seconds), 'fuzzed')));
  card.append(el('p', {class: 'where'}, whereText(t)));
  if (t.fuzzer_exit !== 0 && t.fuzzer_exit !== 255 && t.fuzzer_exit !== null && nc === 0)
    card.append(el('p', {class: 'where'}, `The fuzzer exited ${t.fuzzer_exit}: see ${t.log}`));
  const sr = t.series || [];
  const sec = (v) => `${short(v)} s`;
  const o = {xFromZero: true, xlabel: 'seconds', xfmt: sec};
  card.append(el('div', {class: 'plots'},
    plot(`${t.name}: exec/s`, [{name: 'exec/s', points: sr.map((p) => [p.t, p.rate])}],
      {...o, yFromZero: true}),
    plot(`${t.name}: edges (cov)`, [{name: 'edges', points: sr.map((p) => [p.t, p.cov]), color: COLORS[1]}], o),
    plot(`${t.name}: features (ft)`, [{name: 'features', points: sr.map((p) => [p.t, p.ft]), color: COLORS[2]}], o)));
  return card;
}

function crashTable(run) {
  const rows = [];
  for (const t of run.targets) for (const c of t.crashes || []) rows.push([t, c]);
  if (rows.length === 0) return el('p', {}, 'No crashes in this run.');
  const tb = el('tbody');
  for (const [t, c] of rows) {
    const fid = c.finding ? el('span', {class: 'id'}, c.finding) : el('span', {class: 'muted'}, 'no buddycheck finding');
    const what = el('td', {}, fid, c.summary ? el('div', {}, c.summary) : null,
      c.sanitizer ? el('div', {class: 'muted'}, c.sanitizer) : null);
    const rep = c.reproduces === true ? 'reproduces' : c.reproduces === false
      ? 'does not reproduce (replay exits 0)' : 'not replayed';
    tb.append(el('tr', {},
      el('td', {}, t.name), el('td', {}, el('code', {}, c.file), el('div', {class: 'muted'}, c.kind)),
      what,
      el('td', {}, c.first_op ? el('code', {}, c.first_op) : el('span', {class: 'muted'}, 'not decoded')),
      el('td', {}, c.failing_op ? el('code', {}, c.failing_op) : el('span', {class: 'muted'}, '-')),
      el('td', {}, rep), el('td', {}, el('pre', {class: 'cmd'}, c.replay))));
  }
  return el('table', {}, el('thead', {}, el('tr', {},
    ...['target', 'file', 'finding', 'first op', 'failing op', 'replay now', 'replay command']
      .map((h) => el('th', {}, h)))), tb);
}

function coverageSection(cov) {
  if (!cov) {
    return el('p', {}, 'alloc/ coverage: not run. ',
      el('span', {class: 'muted'}, 'ci/coverage (or ci/fuzz --coverage) writes build/coverage/report.txt, which this page then shows.'));
  }
  const total = cov.rows.find((r) => r.file === 'TOTAL');
  const box = el('div', {});
  if (total) {
    box.append(el('div', {class: 'stats'}, stat(total.lines, 'lines'), stat(total.branches, 'branches'),
      stat(total.functions, 'functions'), stat(total.regions, 'regions')));
  }
  box.append(el('p', {class: 'muted'}, `From ${cov.source}, written ${cov.written}; least covered files first` +
    (cov.before_this_run ? ' (before this run: it does not include this run\'s new inputs)' : '')));
  const tb = el('tbody');
  const files = cov.rows.filter((r) => r.file !== 'TOTAL');
  files.sort((a, b) => (parseFloat(a.lines) || 0) - (parseFloat(b.lines) || 0) || a.file.localeCompare(b.file));
  for (const r of files) {
    const pct = parseFloat(r.lines) || 0;
    tb.append(el('tr', {}, el('td', {}, el('code', {}, r.file)),
      el('td', {}, el('div', {class: 'bar'}, el('i', {style: `width:${pct}%`}))),
      el('td', {class: 'num'}, r.lines), el('td', {class: 'num'}, r.branches),
      el('td', {class: 'num'}, r.functions), el('td', {class: 'num'}, num(r.lines_missed))));
  }
  box.append(el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'file'), el('th', {}, ''),
    el('th', {class: 'num'}, 'lines'), el('th', {class: 'num'}, 'branches'),
    el('th', {class: 'num'}, 'functions'), el('th', {class: 'num'}, 'lines missed'))), tb));
  return box;
}

function historySection(runs) {
  const box = el('div', {});
  const names = [...new Set(runs.flatMap((r) => r.targets.map((t) => t.name)))];
  const label = (i) => `#${i + 1}`;
  const xt = runs.map((_, i) => i);
  const opts = {xfmt: label, xTicks: xt.length <= 8 ? xt : undefined, xlabel: 'run', width: 360, height: 180};
  const per = (key) => names.map((n) => ({name: n, points: runs.flatMap((r, i) => {
    const t = r.targets.find((x) => x.name === n && x.ran);
    return t ? [[i, key(t)]] : [];
  })}));
  const legend = el('div', {class: 'legend'}, ...names.map((n, i) =>
    el('span', {}, el('i', {style: `background:${COLORS[i % COLORS.length]}`}), n)));
  box.append(legend);
  box.append(el('div', {class: 'plots'},
    plot('exec/s per run', per((t) => t.exec_s), {...opts, yFromZero: true}),
    plot('features (ft) per run', per((t) => t.ft), opts),
    plot('corpus size after each run', per((t) => t.corpus_after), opts)));
  const tb = el('tbody');
  runs.forEach((r, i) => {
    const crashes = r.targets.reduce((a, t) => a + (t.crashes || []).length, 0);
    tb.append(el('tr', {}, el('td', {}, label(i)), el('td', {}, r.started || '?'),
      el('td', {}, el('code', {}, r.commit || '?')), el('td', {class: 'num'}, duration(r.seconds_per_target)),
      el('td', {}, r.targets.filter((t) => t.ran).map((t) => `${t.name} ${num(t.exec_s)} exec/s, ft ${num(t.ft)}`).join('; ')),
      el('td', {class: 'num'}, String(crashes)),
      el('td', {}, r.interrupted ? `interrupted (SIG${r.interrupted})` : 'complete')));
  });
  box.append(el('table', {}, el('thead', {}, el('tr', {}, ...['run', 'started (UTC)', 'commit',
    'time per target', 'targets at the end', 'crashes', 'end'].map((h) => el('th', {}, h)))), tb));
  return box;
}

function render() {
  const root = document.getElementById('report');
  if (RUNS.length === 0) {
    root.append(el('p', {}, 'No fuzzing runs recorded.'));
    return;
  }
  const run = RUNS[RUNS.length - 1];
  const crashes = run.targets.reduce((a, t) => a + (t.crashes || []).length, 0);
  root.append(el('h1', {}, 'buddycheck fuzzing report'));
  root.append(el('p', {class: 'sub'}, `Latest run ${run.started || '?'} (UTC), commit ${run.commit || '?'}, ` +
    `${run.targets.length} targets, ${duration(run.seconds_per_target)} each on ${run.jobs} jobs` +
    (RUNS.length > 1 ? `; ${RUNS.length} runs in the history` : '') +
    (run.extra_flags ? `; extra flags ${run.extra_flags}` : '')));
  let cls = 'ok', text = 'No crashes in the latest run';
  if (crashes) { cls = 'bad'; text = `${crashes} crash${crashes > 1 ? 'es' : ''} in the latest run`; }
  if (run.interrupted) { cls = crashes ? 'bad' : 'warn'; text += ` \u2014 interrupted by SIG${run.interrupted}`; }
  root.append(el('div', {class: `verdict ${cls}`}, text));
  root.append(el('h2', {}, 'Targets'));
  root.append(el('div', {class: 'cards'}, ...run.targets.map(targetCard)));
  root.append(el('h2', {}, 'Crashes'));
  root.append(crashTable(run));
  root.append(el('h2', {}, 'alloc/ source coverage'));
  root.append(coverageSection(run.coverage));
  if (RUNS.length > 1) {
    root.append(el('h2', {}, `History: ${RUNS.length} runs`));
    root.append(historySection(RUNS));
  }
  root.append(el('footer', {}, 'Written by ci/fuzz (ci/fuzz-report). exec/s is measured between ' +
    'libFuzzer\'s status lines; edges and features are its cov: and ft: counts.'));
}

render();

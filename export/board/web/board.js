// loopbot project board: reads data.json next to this page and draws it.
// Plain DOM and SVG, no framework; all text goes in through textContent.
(function () {
  'use strict';
  const SVGNS = 'http://www.w3.org/2000/svg';

  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, v);
    for (const k of kids.flat()) if (k != null) el.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return el;
  }
  function s(tag, attrs, ...kids) {
    const el = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, String(v));
    for (const k of kids.flat()) if (k != null) el.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return el;
  }
  const $ = (id) => document.getElementById(id);
  // day turns "2026-12-01" into a day number, or NaN.
  function day(d) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d || '');
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) / 86400000 : NaN;
  }
  function mmdd(n) {
    const d = new Date(n * 86400000);
    return String(d.getUTCMonth() + 1).padStart(2, '0') + '-' + String(d.getUTCDate()).padStart(2, '0');
  }
  const COLOR_NAMES = { red: '红 red', yellow: '黄 yellow', blue: '蓝 blue' };

  async function main() {
    let data;
    try {
      const res = await fetch(location.pathname.replace(/\/?$/, '/') + 'data.json', { credentials: 'omit', cache: 'no-store' });
      if (!res.ok) throw new Error(res.status === 410 ? '链接已过期 This link has expired.' : '无法读取看板 The board could not be loaded (' + res.status + ').');
      data = await res.json();
    } catch (e) {
      document.querySelector('main').replaceChildren(h('div', { class: 'error' }, String(e.message || e)));
      return;
    }
    render(data);
    document.body.dataset.ready = 'true';
  }

  function render(d) {
    const p = d.project || {};
    document.title = p.id + ' ' + p.name + ' · 进度看板';
    $('title').textContent = p.id + ' ' + p.name + (p.closed ? ' (已关闭 closed)' : '');
    const meta = ['负责人 Owner: ' + (p.owner || '—')];
    if (p.start) meta.push('开始 Start: ' + p.start);
    if (p.deadline) meta.push('截止 Deadline: ' + p.deadline);
    if (p.projected) meta.push('预计完成 Projected: ' + p.projected);
    $('meta').textContent = meta.join(' · ');
    $('foot').textContent = '只读看板 Read-only board · 数据时间 As of ' + asOf(d.generated_at, d.zone) + ' · loopbot';
    tiles(d);
    gantt(d.gantt || {}, d.today);
    milestones(d.milestones || []);
    burnup(d.burnup || {});
    checkins(d.checkins || {});
    escalations(d.escalations || []);
    risks(d.risks || []);
  }

  // asOf writes a time in the service's zone, whatever the browser's.
  function asOf(t, zone) {
    try {
      return new Date(t).toLocaleString('zh-CN', { timeZone: zone || undefined, hour12: false }) + (zone ? ' (' + zone + ')' : '');
    } catch (_) {
      return String(t);
    }
  }

  function tiles(d) {
    const p = d.project || {};
    const esc = d.escalations || [];
    const red = esc.filter((e) => e.color === 'red').length;
    const c = d.checkins || {};
    let slack = null;
    if (p.deadline && p.projected) slack = day(p.deadline) - day(p.projected);
    const items = [
      ['完成 Done', (p.done || 0) + ' / ' + (p.tasks || 0), p.tasks && p.done === p.tasks ? 'good' : ''],
      ['督办 Open escalations', String(esc.length) + (red ? ' (' + red + ' 红 red)' : ''), red ? 'bad' : (esc.length ? '' : 'good')],
      ['本周打卡 Check-ins', (c.answered || 0) + ' / ' + (c.asked || 0), c.asked && c.answered < c.asked ? 'bad' : ''],
      ['关键路径 Critical path', String((d.critical || []).length) + ' 任务 tasks', ''],
    ];
    if (slack != null) items.push(['距截止 Slack to deadline', slack + ' 天 days', slack < 0 ? 'bad' : 'good']);
    $('tiles').replaceChildren(...items.map(([k, v, cls]) => h('div', { class: 'tile ' + cls }, h('div', { class: 'v' }, v), h('div', { class: 'k' }, k))));
  }

  function gantt(ch, today) {
    const bars = (ch.bars || []).filter((b) => Number.isFinite(day(b.finish || b.start)));
    const box = $('gantt');
    if (!bars.length) {
      box.replaceChildren(h('p', { class: 'empty' }, '还没有任务 No tasks yet.'));
      return;
    }
    const first = (b) => (b.milestone || !b.start ? day(b.finish) : Math.min(day(b.start), day(b.finish)));
    const last = (b) => Math.max(day(b.finish || b.start), first(b));
    let from = Math.min(...bars.map(first));
    let to = Math.max(...bars.map(last));
    const t = day(today);
    if (Number.isFinite(t) && t > to && t - to < 60) to = t;
    if (Number.isFinite(t) && t < from && from - t < 60) from = t;
    const W = 1000, L = 250, R = 16, T = 26, RH = 26;
    const H = T + RH * bars.length + 8;
    const days = to - from + 1;
    const dw = (W - L - R) / days;
    const x = (n) => L + (n - from) * dw;
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'gantt-svg', role: 'img', 'aria-label': 'Gantt' });
    let step = [1, 7, 14, 28, 56, 91, 182, 364].find((k) => k * dw >= 48) || 364;
    let tick = from;
    if (step >= 7) while (new Date(tick * 86400000).getUTCDay() !== 1) tick++;
    for (; tick <= to; tick += step) {
      svg.append(s('line', { x1: x(tick), x2: x(tick), y1: T - 6, y2: H, class: 'grid' }));
      svg.append(s('text', { x: x(tick) + 2, y: 14 }, mmdd(tick)));
    }
    bars.forEach((b, i) => {
      const y = T + i * RH;
      const cls = ['gantt-row', b.critical ? 'critical' : '', b.done ? 'done' : '', b.milestone ? 'is-milestone' : ''].join(' ').trim();
      const g = s('g', { class: cls, 'data-task': b.task });
      const label = (b.task + ' ' + (b.label || '')).trim();
      g.append(s('text', { x: 4, y: y + RH / 2 + 4, class: 'label' }, label.length > 34 ? label.slice(0, 33) + '…' : label));
      const tip = label + ' · ' + (b.milestone ? b.finish : (b.start || b.finish) + ' → ' + b.finish) +
        (b.milestone ? '' : ' · ' + (b.done ? 100 : b.progress || 0) + '%') + (b.critical ? ' · 关键路径 critical' : '');
      if (b.milestone) {
        const cx = x(day(b.finish)) + dw / 2, cy = y + RH / 2, r = 7;
        g.append(s('path', { class: 'milestone', d: `M${cx} ${cy - r}L${cx + r} ${cy}L${cx} ${cy + r}L${cx - r} ${cy}Z` }, s('title', {}, tip)));
      } else {
        const x0 = x(first(b)) + 1, w = Math.max(3, (last(b) - first(b) + 1) * dw - 2);
        const p = b.done ? 100 : Math.max(0, Math.min(100, b.progress || 0));
        g.append(s('rect', { class: 'bar-bg', x: x0, y: y + 5, width: w, height: RH - 10, rx: 3 }, s('title', {}, tip)));
        if (p > 0) g.append(s('rect', { class: 'bar-fg', x: x0, y: y + 5, width: (w * p) / 100, height: RH - 10, rx: 3 }));
      }
      svg.append(g);
    });
    if (Number.isFinite(t) && t >= from && t <= to) {
      svg.append(s('line', { class: 'today', x1: x(t) + dw / 2, x2: x(t) + dw / 2, y1: T - 6, y2: H }, s('title', {}, '今天 today ' + today)));
    }
    const legend = h('div', { class: 'legend' },
      [['c-blue', '计划 planned'], ['c-red', '关键路径 critical path'], ['c-green', '完成 done'], ['c-purple', '里程碑 milestone']]
        .map(([c, n]) => h('span', {}, h('i', { class: c }), n)));
    box.replaceChildren(svg, legend);
  }

  function milestones(list) {
    const box = $('milestones');
    if (!list.length) {
      box.replaceChildren();
      return;
    }
    const rows = list.map((m) => h('tr', { 'data-task': m.task },
      h('td', {}, m.task), h('td', {}, m.title), h('td', {}, m.due || '—'),
      h('td', {}, h('span', { class: 'pill ' + (m.done ? 'green' : m.late ? 'red' : 'grey') },
        m.done ? '达成 met' : m.late ? '逾期 late' : '未到 ahead'))));
    box.replaceChildren(h('h2', {}, '里程碑 Milestones'),
      h('table', { class: 'milestones' }, h('tr', {}, h('th', {}, 'ID'), h('th', {}, '名称 Title'), h('th', {}, '日期 Due'), h('th', {}, '状态 State')), rows));
  }

  function niceMax(v) {
    if (!(v > 0)) return 4;
    const step = v / 4;
    const p = Math.pow(10, Math.floor(Math.log10(step)));
    for (const f of [1, 2, 2.5, 3, 5, 10]) if (f * p >= step) return 4 * f * p;
    return 40 * p;
  }

  function burnup(ch) {
    const labels = ch.labels || [];
    const series = (ch.series || []).filter((x) => Array.isArray(x.values));
    const box = $('burnup');
    const all = series.flatMap((x) => x.values).filter(Number.isFinite);
    if (!labels.length || !all.length) {
      box.replaceChildren(h('p', { class: 'empty' }, '暂无数据 No data yet.'));
      return;
    }
    const W = 480, H = 220, L = 34, R = 10, T = 10, B = 24;
    const max = niceMax(Math.max(...all, 0));
    const y = (v) => T + (H - T - B) * (1 - v / max);
    const n = labels.length;
    const x = (i) => (n === 1 ? (L + W - R) / 2 : L + 6 + ((W - R - L - 12) * i) / (n - 1));
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'burnup-svg', role: 'img', 'aria-label': 'Burn-up' });
    for (let k = 0; k <= 4; k++) {
      const v = (max * k) / 4;
      svg.append(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: k ? 'grid' : 'axis' }));
      svg.append(s('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end' }, String(Math.round(v * 100) / 100)));
    }
    const every = Math.max(1, Math.ceil(n / 7));
    labels.forEach((lab, i) => {
      if (i % every === 0 || i === n - 1) svg.append(s('text', { x: x(i), y: H - 6, 'text-anchor': 'middle' }, lab));
    });
    series.forEach((ser, si) => {
      const cls = si === 0 && series.length > 1 ? 'planned' : 'done';
      let d = '';
      ser.values.slice(0, n).forEach((v, i) => { if (Number.isFinite(v)) d += (d ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(v).toFixed(1) + ' '; });
      svg.append(s('path', { class: 'series ' + cls, d, 'data-series': ser.name }, s('title', {}, ser.name)));
    });
    const legend = h('div', { class: 'legend' }, series.map((ser, si) =>
      h('span', {}, h('i', { class: si === 0 && series.length > 1 ? 'c-grey' : 'c-blue' }), ser.name)));
    box.replaceChildren(svg, legend);
  }

  function checkins(c) {
    $('week').textContent = c.week ? c.week + (c.from ? ' (' + c.from + ' →)' : '') : '';
    const people = c.people || [];
    if (!people.length) {
      $('checkins').replaceChildren(h('p', { class: 'empty' }, '本周尚无打卡 No check-ins asked this week.'));
      return;
    }
    const rows = people.map((p) => {
      const meter = h('div', { class: 'meter' }, h('div', {}));
      meter.firstChild.style.width = (p.asked ? Math.round((100 * p.answered) / p.asked) : 0) + '%';
      return h('tr', { class: 'person' }, h('td', {}, p.name), h('td', {}, p.answered + ' / ' + p.asked), h('td', {}, meter));
    });
    $('checkins').replaceChildren(h('table', {},
      h('tr', {}, h('th', {}, '成员 Member'), h('th', {}, '已答 / 应答 Answered / asked'), h('th', {}, '')), rows));
  }

  function escalations(list) {
    if (!list.length) {
      $('escalations').replaceChildren(h('p', { class: 'empty' }, '✅ 没有未解决的督办 No open escalations.'));
      return;
    }
    const groups = ['red', 'yellow', 'blue'].map((color) => {
      const items = list.filter((e) => e.color === color);
      if (!items.length) return null;
      return h('div', { class: 'esc-group', 'data-color': color },
        h('div', {}, h('span', { class: 'pill ' + color }, COLOR_NAMES[color] + ' · ' + items.length)),
        h('table', {}, items.map((e) => h('tr', { class: 'esc', 'data-id': e.id },
          h('td', {}, e.id), h('td', {}, e.rule), h('td', {}, e.task ? e.task + ' ' + (e.title || '') : ''), h('td', {}, e.person)))));
    });
    $('escalations').replaceChildren(...groups.filter(Boolean));
  }

  function risks(list) {
    if (!list.length) {
      $('risks').replaceChildren(h('p', { class: 'empty' }, '没有未关闭的风险 No open risks.'));
      return;
    }
    const pill = { high: 'red', medium: 'yellow', low: 'blue' };
    $('risks').replaceChildren(h('table', {},
      h('tr', {}, h('th', {}, 'ID'), h('th', {}, '风险 Risk'), h('th', {}, '影响 Impact'), h('th', {}, '负责人 Owner'), h('th', {}, '任务 Task')),
      list.map((r) => h('tr', { class: 'risk', 'data-id': r.id }, h('td', {}, r.id), h('td', {}, r.text),
        h('td', {}, r.impact ? h('span', { class: 'pill ' + (pill[r.impact] || 'grey') }, r.impact) : ''),
        h('td', {}, r.owner || ''), h('td', {}, r.task || '')))));
  }

  main();
})();

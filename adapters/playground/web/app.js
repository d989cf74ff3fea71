// loopbot playground: a small Feishu-style web messenger over the JSON API of SPEC §11.
// Plain browser JavaScript, no build step and no external resources. All text from the
// server is put into the page with textContent or createTextNode, never as HTML.
'use strict';

(() => {
  const POLL_MS = 1500;
  const OTHER_CHATS_EVERY = 3; // poll the chats that are not open every third tick
  const CLOCK_EVERY = 4;       // re-read the fake clock every fourth tick
  const SVGNS = 'http://www.w3.org/2000/svg';

  const API = (() => {
    const p = location.pathname;
    const i = p.indexOf('/playground');
    return (i >= 0 ? p.slice(0, i) : '') + '/playground/api/';
  })();

  const COLORS = {
    blue: 'blue', yellow: 'yellow', amber: 'yellow', orange: 'yellow', red: 'red',
    green: 'green', grey: 'grey', gray: 'grey',
  };

  const KINDS = {
    task_assigned: '任务指派 Assignment',
    acceptance: '验收 Acceptance',
    checkin: '每日打卡 Check-in',
    checkin_reminder: '打卡提醒 Reminder',
    daily_digest: '日报 Daily digest',
    escalation: '督办 Escalation',
    group_warning: '督办预警 Warning',
    review_prompt: '周复盘 Review',
    review_summary: '周报 Weekly summary',
    change_request: '变更申请 Change',
    report: '报告 Report',
    plan: '计划 Plan',
    notice: '通知 Notice',
  };

  const DANGER_ACTIONS = new Set(['decline', 'reject', 'cancel', 'rework']);

  // [command, arguments, description]; the Chinese forms are listed too.
  const COMMANDS = [
    ['/help', '[cmd]', '帮助 Help'],
    ['/project new', '<name> due:<date>', '新建项目 New project'],
    ['/project list', '', '项目列表 Projects'],
    ['/task new', '<title> @bob due:fri', '新建任务 New task'],
    ['/tasks', '[mine|overdue|blocked|P1]', '任务列表 Task list'],
    ['/task show', '<T>', '查看任务 Show a task'],
    ['/progress', '<T> <0-100> [note]', '更新进度 Progress'],
    ['/done', '<T> [note]', '标记完成 Done'],
    ['/block', '<T> <reason>', '阻塞 Blocked'],
    ['/unblock', '<T>', '解除阻塞 Unblock'],
    ['/due', '<T> <date> <reason>', '申请延期 Extension'],
    ['/checkin', '', '今日打卡 Check-in'],
    ['/leave', '<date>[..<date>]', '请假 Leave'],
    ['/review', '', '周复盘 Weekly review'],
    ['/report', '[P] [week|month]', '报告 Report'],
    ['/plan', '<P>', '计划与关键路径 Plan'],
    ['/escalations', '[P]', '督办 Escalations'],
    ['/export', '[P] [xlsx|csv|md]', '导出 Export'],
    ['/risk add', '<P> <text> [owner:@a] [impact:high|medium|low] [task:T]', '新增风险 Add a risk'],
    ['/risk close', '<R> <note>', '关闭风险 Close a risk'],
    ['/risks', '<P>', '风险清单 Risk register'],
    ['/workload', '[P] [week|next]', '工作负荷 Workload'],
    ['/帮助', '', 'Help'],
    ['/项目 新建', '<名称> due:<日期>', 'New project'],
    ['/任务 新建', '<标题> @bob due:周五', 'New task'],
    ['/任务列表', '[mine|overdue]', 'Task list'],
    ['/进度', '<T> <0-100> [备注]', 'Progress'],
    ['/完成', '<T> [备注]', 'Done'],
    ['/延期', '<T> <日期> <原因>', 'Extension'],
    ['/打卡', '', 'Check-in'],
    ['/复盘', '', 'Weekly review'],
    ['/报告', '[P]', 'Report'],
    ['/风险 新增', '<P> <描述> [负责人:@a] [影响:高|中|低]', 'Add a risk'],
    ['/风险清单', '<P>', 'Risk register'],
    ['/负荷', '[P] [本周|下周]', 'Workload'],
  ];

  const AVATAR_COLORS = ['#3370ff', '#7f3bf5', '#14c0ff', '#ff7d00', '#34c724', '#f54a45', '#0fbf9f', '#d136d1'];
  const SERIES_COLORS = ['#8f959e', '#3370ff', '#34c724', '#f5a623', '#f54a45', '#7f3bf5'];

  const state = {
    people: [],
    peopleById: new Map(),
    groups: [],
    me: '',
    chats: [],        // [{id, name, kind, members}]
    chat: '',
    last: {},         // chat id -> last message
    seen: {},         // chat id -> id of the last message seen
    clock: null,      // {now, off} or null when the fake clock is off
    gen: 0,           // bumped when the person or chat changes, to drop stale answers
    tick: 0,
    pane: { key: '', items: new Map(), first: true },
    hintIndex: -1,
    hintList: [],
    sending: false,
  };

  const $ = (sel) => document.querySelector(sel);

  // ---------- small helpers ----------

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return el;
  }

  function store(key, value) {
    try {
      if (value === undefined) return JSON.parse(localStorage.getItem('loopbot.pg.' + key) || 'null');
      localStorage.setItem('loopbot.pg.' + key, JSON.stringify(value));
    } catch (_) { /* storage may be off; the page still works */ }
    return null;
  }

  // stable gives the same string for equal JSON values whatever their key order.
  function stable(v) {
    if (Array.isArray(v)) return '[' + v.map(stable).join(',') + ']';
    if (v && typeof v === 'object') {
      return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + stable(v[k])).join(',') + '}';
    }
    return JSON.stringify(v === undefined ? null : v);
  }

  class ApiError extends Error {
    constructor(code, message, status) { super(message); this.code = code; this.status = status; }
  }

  async function api(method, path, body) {
    const opt = { method, headers: { Accept: 'application/json' }, cache: 'no-store' };
    if (body !== undefined) {
      opt.headers['Content-Type'] = 'application/json';
      opt.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(API + path, opt);
    } catch (e) {
      throw new ApiError('network', '无法连接服务器 Cannot reach the server', 0);
    }
    const txt = await res.text();
    let data = null;
    if (txt) { try { data = JSON.parse(txt); } catch (_) { data = null; } }
    if (!res.ok) {
      const er = (data && data.error) || {};
      const plain = /^\s*</.test(txt) ? '' : txt.trim().slice(0, 200); // never show an HTML error page
      throw new ApiError(er.code || 'HTTP ' + res.status, er.message || plain || res.statusText || 'error', res.status);
    }
    return data || {};
  }

  function errText(e) {
    if (!e) return '';
    if (e instanceof ApiError) return e.code && e.code !== 'network' ? `${e.message} (${e.code})` : e.message;
    return String(e.message || e);
  }

  // ---------- time ----------

  function parseOffset(str) {
    const m = /([+-])(\d\d):?(\d\d)$/.exec(str || '');
    if (!m) return { min: 0, text: 'Z' };
    const min = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
    return { min, text: `${m[1]}${m[2]}:${m[3]}` };
  }

  function parseTime(str) {
    if (typeof str !== 'string') return null;
    // Trim nanoseconds to milliseconds so every engine parses it.
    const ms = Date.parse(str.replace(/(\.\d{3})\d+/, '$1'));
    if (Number.isNaN(ms)) return null;
    return { ms, off: parseOffset(str) };
  }

  const WEEK_ZH = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
  const WEEK_EN = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const pad = (n) => String(n).padStart(2, '0');

  // wall gives the wall-clock parts of an instant at a UTC offset (minutes).
  function wall(ms, offMin) {
    const d = new Date(ms + offMin * 60000);
    return {
      y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(),
      h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(), wd: d.getUTCDay(),
    };
  }

  // displayTime reads an RFC 3339 time on its own wall clock: the chat API writes times in the zone of the person
  // one is (?as=), with the offset in force at that instant, the zone the clock shows too.
  function displayTime(str) {
    const t = parseTime(str);
    if (!t) return null;
    return wall(t.ms, t.off.min);
  }

  const dayText = (w) => `${w.y}-${pad(w.mo)}-${pad(w.d)} ${WEEK_ZH[w.wd]} ${WEEK_EN[w.wd]}`;
  const hm = (w) => `${pad(w.h)}:${pad(w.mi)}`;

  // ---------- card markdown ----------

  // runs renders a line's inlines (markdown.js) as text nodes, in <strong> and <s>.
  function runs(inlines) {
    const frag = document.createDocumentFragment();
    for (const run of inlines) {
      let node = document.createTextNode(run.text);
      if (run.strike) node = h('s', null, node);
      if (run.bold) node = h('strong', null, node);
      frag.append(node);
    }
    return frag;
  }

  // markdown renders card markdown and nothing else: paragraphs (lines joined by line breaks,
  // split by a blank line), "- " bullets, bold and strike. Every other character is text,
  // whoever typed it: links, headings, HTML and mentions are shown as written.
  function markdown(text) {
    const root = h('div', { class: 'md' });
    let list = null;
    let para = null;
    for (const b of window.loopbotMarkdown.parseMarkdown(text == null ? '' : text)) {
      if (b.bullet) {
        para = null;
        if (!list) { list = h('ul'); root.append(list); }
        list.append(h('li', null, runs(b.inlines)));
        continue;
      }
      list = null;
      if (b.inlines.length === 0) { para = null; continue; }
      if (para) para.append(h('br'));
      else { para = h('p'); root.append(para); }
      para.append(runs(b.inlines));
    }
    return root;
  }

  // ---------- people and chats ----------

  // norm drops the platform prefix, should the server give "playground:bob" for "bob".
  const norm = (id) => String(id == null ? '' : id).replace(/^playground:/, '');

  function personName(id) {
    if (id === 'bot') return 'loopbot';
    const key = norm(id);
    const p = state.peopleById.get(key);
    return p ? p.name || p.id : key || '?';
  }

  function initial(name) {
    const t = String(name || '?').trim();
    return (t[0] || '?').toUpperCase();
  }

  function colorFor(id) {
    let n = 0;
    for (const ch of String(id)) n = (n * 31 + ch.codePointAt(0)) >>> 0;
    return AVATAR_COLORS[n % AVATAR_COLORS.length];
  }

  function botAvatar(cls) {
    const svg = s('svg', { viewBox: '0 0 32 32', width: 20, height: 20, 'aria-hidden': 'true' },
      s('rect', { x: 7, y: 10, width: 18, height: 14, rx: 4, fill: '#fff' }),
      s('circle', { cx: 12.5, cy: 17, r: 2, fill: '#3370ff' }),
      s('circle', { cx: 19.5, cy: 17, r: 2, fill: '#3370ff' }),
      s('path', { d: 'M16 10V6', stroke: '#fff', 'stroke-width': 2, 'stroke-linecap': 'round' }),
      s('circle', { cx: 16, cy: 5, r: 1.8, fill: '#fff' }));
    return h('span', { class: `${cls} avatar-bot`, title: 'loopbot' }, svg);
  }

  function avatar(id, cls = 'avatar') {
    if (id === 'bot') return botAvatar(cls);
    const name = personName(id);
    return h('span', { class: cls, style: `background:${colorFor(id)}`, title: name }, initial(name));
  }

  function chatsFor(me) {
    const list = [{ id: 'dm:' + me, name: 'Bot (DM)', kind: 'dm' }];
    for (const g of state.groups) {
      if (!g || !g.id) continue;
      const members = Array.isArray(g.members) ? g.members.map(norm) : null;
      if (members && !members.includes(me)) continue;
      list.push({ id: String(g.id), name: g.name || g.id, kind: 'group', members });
    }
    return list;
  }

  const currentChat = () => state.chats.find((c) => c.id === state.chat) || state.chats[0];

  async function loadPeople() {
    for (;;) {
      try {
        const d = await api('GET', 'people');
        state.people = Array.isArray(d.people) ? d.people.filter((p) => p && p.id) : [];
        state.groups = Array.isArray(d.groups) ? d.groups : [];
        state.peopleById = new Map(state.people.map((p) => [String(p.id), p]));
        banner('');
        return;
      } catch (e) {
        banner('无法读取演示人员 Cannot load the people: ' + errText(e) + ' · 正在重试 retrying…');
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  function renderPicker() {
    const sel = $('#as');
    sel.replaceChildren(...state.people.map((p) => {
      const roles = Array.isArray(p.roles) && p.roles.length ? ` · ${p.roles.join(', ')}` : '';
      return h('option', { value: String(p.id) }, (p.name || p.id) + roles);
    }));
    sel.value = state.me;
  }

  function initialPerson() {
    const q = new URLSearchParams(location.search).get('as');
    if (q) {
      if (state.peopleById.has(q)) return q;
      toast(`没有这个人 Unknown person “${q}”`, 'error');
    }
    const saved = store('as');
    if (saved && state.peopleById.has(saved)) return saved;
    return state.people.length ? String(state.people[0].id) : '';
  }

  function setPerson(id, fromUrl) {
    const other = state.me !== id;
    state.me = id;
    if (other && state.clock) loadClock(true); // the clock shows the new person's zone
    state.gen++;
    store('as', id);
    $('#as').value = id;
    state.chats = chatsFor(id);
    state.last = {};
    state.seen = store('seen.' + id) || {};
    // The URL's ?chat= opens a chat on load; a switch of person stays in the same group where it can.
    const wanted = fromUrl ? new URLSearchParams(location.search).get('chat') : state.chat;
    const pick = state.chats.find((c) => c.id === wanted || c.id === 'dm:' + wanted);
    selectChat(pick ? pick.id : state.chats[0].id);
  }

  // syncUrl keeps ?as= and ?chat= in the address bar, so that a reload or a shared link opens the same view.
  function syncUrl() {
    const u = new URL(location.href);
    u.searchParams.set('as', state.me);
    if (state.chat.startsWith('dm:')) u.searchParams.delete('chat');
    else u.searchParams.set('chat', state.chat);
    if (u.href !== location.href) history.replaceState(null, '', u);
  }

  function selectChat(id) {
    state.chat = id;
    state.gen++;
    syncUrl();
    // Clear the old chat at once; the new one shows when its messages arrive.
    state.pane.key = '';
    $('#messages').replaceChildren();
    $('#empty').hidden = true;
    $('#jump').hidden = true;
    renderSidebar();
    renderChatHead();
    hideHints();
    $('#composer-error').textContent = '';
    refresh(true);
  }

  function preview(m) {
    if (!m) return '';
    const who = m.from === 'bot' ? '' : norm(m.from) === state.me ? '我: ' : personName(m.from) + ': ';
    if (m.card) return who + '[卡片 Card] ' + (m.card.title || KINDS[m.card.kind] || '');
    return who + String(m.text || '').replace(/^\s*[-*]\s+/gm, '').replace(/\*\*|`/g, '').replace(/\s+/g, ' ').trim();
  }

  function isUnread(c) {
    const m = state.last[c.id];
    if (!m || m.id == null) return false;
    if (norm(m.from) === state.me) return false;
    return state.seen[c.id] !== String(m.id);
  }

  function buildChatItem(c) {
    const av = c.kind === 'dm' ? botAvatar('chat-avatar')
      : h('span', { class: 'chat-avatar', style: `background:${colorFor(c.id)}` }, initial(c.name));
    return h('button', {
      type: 'button',
      class: 'chat-item',
      'data-chat': c.id,
      onclick: () => { if (c.id !== state.chat) selectChat(c.id); },
    },
    av,
    h('span', { class: 'chat-text' },
      h('span', { class: 'chat-line' },
        h('span', { class: 'chat-name' }, c.name),
        h('span', { class: 'chat-time' })),
      h('span', { class: 'chat-line' },
        h('span', { class: 'chat-preview' }),
        h('span', { class: 'dot' }))));
  }

  // renderSidebar updates the chat list in place, so that a poll never swallows a click.
  function renderSidebar() {
    const nav = $('#chats');
    const key = state.me + '|' + state.chats.map((c) => c.id).join('|');
    if (nav.dataset.key !== key) {
      nav.replaceChildren(...state.chats.map(buildChatItem));
      nav.dataset.key = key;
    }
    state.chats.forEach((c, i) => {
      const el = nav.children[i];
      const m = state.last[c.id];
      const w = m && displayTime(m.time);
      const unread = isUnread(c);
      el.classList.toggle('active', c.id === state.chat);
      el.classList.toggle('unread', unread);
      if (c.id === state.chat) el.setAttribute('aria-current', 'true');
      else el.removeAttribute('aria-current');
      setText(el.querySelector('.chat-time'), w ? hm(w) : '');
      setText(el.querySelector('.chat-preview'),
        preview(m) || (c.kind === 'dm' ? '与机器人私聊 Direct chat' : '群聊 Group chat'));
      el.querySelector('.dot').setAttribute('aria-label', unread ? '未读 unread' : '');
    });
    const n = state.chats.filter(isUnread).length;
    const title = (n ? `(${n}) ` : '') + 'loopbot playground';
    if (document.title !== title) document.title = title;
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function renderChatHead() {
    const c = currentChat();
    if (!c) return;
    $('#chat-title').textContent = c.kind === 'dm' ? 'loopbot · Bot (DM)' : c.name;
    let sub;
    if (c.kind === 'dm') sub = `${personName(state.me)} 与机器人的私聊 · Direct chat with the bot`;
    else if (Array.isArray(c.members)) sub = `${c.members.length} 位成员 members · ` + c.members.map(personName).join('、');
    else sub = '群聊 Group chat · ' + c.id;
    $('#chat-sub').textContent = sub;
    $('#composer').placeholder = c.kind === 'dm'
      ? '发消息或输入 / 使用命令 · Message the bot, or type / for commands'
      : `在 ${c.name} 发消息 · Message the group, / for commands`;
  }

  // ---------- polling ----------

  let inflight = null;
  let again = false;

  function refresh(all) {
    if (inflight) { again = again === 'all' || all ? 'all' : true; return inflight; }
    inflight = doRefresh(all).finally(() => {
      inflight = null;
      if (again) { const a = again === 'all'; again = false; refresh(a); }
    });
    return inflight;
  }

  async function doRefresh(all) {
    if (!state.me) return;
    const gen = state.gen;
    const chat = state.chat;
    const ids = all ? state.chats.map((c) => c.id) : [chat];
    const results = await Promise.all(ids.map((id) => api('GET', 'chats/' + encodeURIComponent(id).replace(/%3A/gi, ':') + '?as=' + encodeURIComponent(state.me))
      .then((d) => [id, d, null], (e) => [id, null, e])));
    if (gen !== state.gen) return;
    for (const [id, d, e] of results) {
      if (id === chat) {
        if (d) { renderPane(Array.isArray(d.messages) ? d.messages : []); banner(''); }
        else banner('读取消息失败 Cannot load messages: ' + errText(e));
      }
      if (d) {
        const msgs = Array.isArray(d.messages) ? d.messages : [];
        state.last[id] = msgs[msgs.length - 1];
      }
    }
    markSeen();
    renderSidebar();
  }

  function markSeen() {
    const m = state.last[state.chat];
    if (!m || m.id == null || document.hidden) return;
    if (state.seen[state.chat] !== String(m.id)) {
      state.seen[state.chat] = String(m.id);
      store('seen.' + state.me, state.seen);
    }
  }

  async function loop() {
    state.tick++;
    try {
      await refresh(state.tick % OTHER_CHATS_EVERY === 0);
      if (state.tick % CLOCK_EVERY === 0 && state.clock) await loadClock(true);
    } catch (_) { /* shown in the banner */ }
    setTimeout(loop, POLL_MS);
  }

  function banner(text) {
    const b = $('#banner');
    b.textContent = text;
    b.hidden = !text;
  }

  // ---------- message pane ----------

  function nearBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 60;
  }

  function scrollBottom() {
    const list = $('#messages');
    list.scrollTop = list.scrollHeight;
    $('#jump').hidden = true;
  }

  function renderPane(msgs) {
    const list = $('#messages');
    const pane = state.pane;
    const key = state.me + '|' + state.chat;
    if (pane.key !== key) {
      list.replaceChildren();
      pane.items = new Map();
      pane.key = key;
      pane.first = true;
    }
    const atBottom = pane.first || pane.forceBottom || nearBottom(list);
    const keep = new Set();
    let prevEl = null;
    let prevMsg = null;
    let added = 0;
    for (const m of msgs) {
      if (!m || m.id == null) continue;
      const id = String(m.id);
      if (keep.has(id)) continue;
      keep.add(id);
      const sig = stable(m);
      let it = pane.items.get(id);
      if (!it) {
        it = { el: buildMessage(m), sig, msg: m };
        pane.items.set(id, it);
        added++;
      } else if (it.sig !== sig) {
        updateMessage(it, m);
        it.sig = sig;
        it.msg = m;
      }
      const want = prevEl ? prevEl.nextSibling : list.firstChild;
      if (want !== it.el) list.insertBefore(it.el, want);
      decorate(it.el, m, prevMsg);
      prevEl = it.el;
      prevMsg = m;
    }
    for (const [id, it] of pane.items) {
      if (!keep.has(id)) { it.el.remove(); pane.items.delete(id); }
    }
    $('#empty').hidden = keep.size > 0;
    if (atBottom) scrollBottom();
    else if (added) $('#jump').hidden = false;
    pane.first = false;
    pane.forceBottom = false;
  }

  // decorate shows the day divider and folds consecutive messages of one sender.
  function decorate(el, m, prev) {
    const w = displayTime(m.time);
    const pw = prev && displayTime(prev.time);
    const newDay = w && (!pw || pw.y !== w.y || pw.mo !== w.mo || pw.d !== w.d);
    const day = el.querySelector(':scope > .day');
    day.hidden = !newDay;
    if (newDay) day.firstChild.textContent = dayText(w);
    const t = parseTime(m.time);
    const pt = prev && parseTime(prev.time);
    const cont = !newDay && prev && prev.from === m.from && t && pt && t.ms - pt.ms < 5 * 60000;
    el.classList.toggle('cont', !!cont);
    const mine = norm(m.from) === state.me;
    el.classList.toggle('me', mine);
  }

  function buildMessage(m) {
    const w = displayTime(m.time);
    const bot = m.from === 'bot';
    const el = h('div', { class: 'msg' + (bot ? ' bot' : ''), 'data-id': m.id, 'data-from': m.from },
      h('div', { class: 'day', hidden: true }, h('span')),
      h('div', { class: 'msg-row' },
        avatar(m.from),
        h('div', { class: 'msg-main' },
          h('div', { class: 'msg-meta' },
            h('span', { class: 'msg-name' }, personName(m.from)),
            bot ? h('span', { class: 'tag-bot' }, '机器人 Bot') : null,
            h('span', { class: 'msg-time', title: m.time || '' }, w ? hm(w) : '')),
          h('div', { class: 'msg-body' }))));
    fillBody(el, m);
    return el;
  }

  function fillBody(el, m) {
    const body = el.querySelector('.msg-body');
    const parts = [];
    // The bot writes card markdown; what a person typed is shown as typed.
    if (m.text != null && m.text !== '') {
      parts.push(h('div', { class: 'bubble' }, m.from === 'bot' ? markdown(m.text) : h('div', { class: 'plain' }, String(m.text))));
    }
    if (m.card && typeof m.card === 'object') parts.push(renderCard(m.card, m.id));
    body.replaceChildren(...parts);
  }

  function updateMessage(it, m) {
    const oldCard = it.el.querySelector('.card');
    const sameText = (it.msg.text || '') === (m.text || '');
    if (oldCard && m.card && sameText) {
      swapCard(oldCard, m.card, m.id);
    } else {
      fillBody(it.el, m);
    }
    const w = displayTime(m.time);
    it.el.querySelector('.msg-time').textContent = w ? hm(w) : '';
  }

  // swapCard replaces a card in place and keeps what the user has typed into inputs that survive.
  function swapCard(oldCard, card, msgId) {
    const typed = new Map();
    for (const el of oldCard.querySelectorAll('[data-input]')) {
      if (el.dataset.dirty) typed.set(el.dataset.input, el.value);
    }
    const active = document.activeElement;
    const focusName = active && oldCard.contains(active) && active.dataset ? active.dataset.input : null;
    const fresh = renderCard(card, msgId);
    for (const el of fresh.querySelectorAll('[data-input]')) {
      if (typed.has(el.dataset.input)) { el.value = typed.get(el.dataset.input); el.dataset.dirty = '1'; }
    }
    oldCard.replaceWith(fresh);
    if (focusName) {
      const f = [...fresh.querySelectorAll('[data-input]')].find((e) => e.dataset.input === focusName);
      if (f) f.focus();
    }
    return fresh;
  }

  // ---------- cards ----------

  function renderCard(card, msgId) {
    const color = COLORS[String(card.color || '').toLowerCase()] || 'grey';
    const actions = Array.isArray(card.actions) ? card.actions.filter((a) => a && a.name) : [];
    const finished = actions.length === 0;
    const el = h('div', {
      class: `card card-${color}` + (finished ? ' finished' : ''),
      'data-message-id': msgId,
      'data-card-kind': card.kind || '',
      'data-card-color': color,
      'data-finished': finished ? 'true' : 'false',
    });
    const kind = KINDS[card.kind];
    const title = String(card.title || kind || card.kind || '卡片 Card');
    // The kind tag helps to tell cards apart, unless the title already says it.
    const showKind = kind && !title.includes(kind.split(' ')[0]);
    el.append(h('div', { class: 'card-head' },
      h('span', { class: 'card-title' }, title),
      showKind ? h('span', { class: 'card-kind' }, kind) : null));

    const body = h('div', { class: 'card-body' });
    if (card.text) body.append(markdown(card.text));
    if (Array.isArray(card.fields) && card.fields.length) body.append(renderFields(card.fields));
    const chart = renderChart(card.chart);
    if (chart) body.append(chart);
    if (!finished && Array.isArray(card.inputs) && card.inputs.length) body.append(renderInputs(card.inputs, msgId, actions));
    if (!finished) {
      body.append(h('div', { class: 'card-actions' }, actions.map((a, i) => h('button', {
        type: 'button',
        class: 'btn' + (i === 0 ? ' btn-primary' : DANGER_ACTIONS.has(a.name) ? ' btn-danger' : ''),
        'data-action': a.name,
      }, a.label || a.name))));
    }
    el.append(body);
    const refs = card.refs && typeof card.refs === 'object'
      ? Object.entries(card.refs).filter(([, v]) => v !== '' && v != null) : [];
    if (refs.length) {
      el.append(h('div', { class: 'card-foot' },
        refs.map(([k, v]) => h('span', { class: 'ref', 'data-ref': k, title: k }, String(v)))));
    }
    return el;
  }

  function renderFields(fields) {
    const dl = h('dl', { class: 'card-fields' });
    for (const f of fields) {
      if (!f) continue;
      // Field values are plain text, never markup.
      dl.append(h('dt', null, f.label || ''), h('dd', null, String(f.value == null ? '' : f.value)));
    }
    return dl;
  }

  function inputControl(inp, id) {
    const kind = inp.kind || 'text';
    const value = inp.value ?? inp.default ?? '';
    const common = { id, name: inp.name, 'data-input': inp.name, 'data-kind': kind, placeholder: inp.placeholder };
    let el;
    if (kind === 'textarea') {
      el = h('textarea', { ...common, rows: 2 });
      el.value = String(value);
    } else if (kind === 'select') {
      const opts = Array.isArray(inp.options) ? inp.options : [];
      el = h('select', common);
      if (!inp.required && value === '') el.append(h('option', { value: '' }, '请选择 Select…'));
      for (const o of opts) {
        const v = o && typeof o === 'object' ? o.value : o;
        const l = o && typeof o === 'object' ? o.label || o.value : o;
        el.append(h('option', { value: v }, String(l)));
      }
      if (value !== '') el.value = String(value);
    } else {
      const type = kind === 'number' ? 'number' : kind === 'date' ? 'date' : 'text';
      const extra = {};
      if (kind === 'number') {
        extra.inputmode = 'decimal';
        extra.step = 'any';
        if (/^progress(\.|$)/.test(inp.name)) { extra.min = 0; extra.max = 100; }
        if (/^hours(\.|$)/.test(inp.name)) { extra.min = 0; extra.max = 24; }
      }
      el = h('input', { ...common, type, ...extra });
      if (value !== '') el.value = String(value);
    }
    return el;
  }

  const forList = (v) => String(v || '').split(/[\s,|]+/).filter(Boolean);

  function renderField(inp, msgId, actions) {
    const id = `in-${msgId}-${inp.name}`.replace(/[^\w-]/g, '_');
    const control = inputControl(inp, id);
    const forNames = forList(inp.for);
    if (forNames.length) control.setAttribute('data-for', forNames.join(' '));
    // An input that belongs to some buttons only says which, e.g. "for 拒绝 Decline".
    const forLabels = forNames.map((n) => (actions.find((a) => a.name === n) || {}).label || n);
    const wide = inp.kind === 'textarea' || inp.kind === 'text' || !inp.kind;
    return h('div', { class: 'field' + (wide ? ' field-wide' : '') },
      h('label', { for: id }, inp.label || inp.name, inp.required ? h('span', { class: 'req' }, ' *') : null,
        forLabels.length ? h('span', { class: 'for' }, forLabels.join(' / ')) : null),
      control);
  }

  // renderInputs groups the check-in's "<field>.<task id>" inputs by task.
  function renderInputs(inputs, msgId, actions) {
    const form = h('form', { class: 'card-form', novalidate: true, onsubmit: (e) => e.preventDefault() });
    const groups = new Map();
    for (const inp of inputs) {
      if (!inp || !inp.name) continue;
      const m = /^[^.]+\.(.+)$/.exec(inp.name);
      const key = m ? m[1] : '';
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(inp);
    }
    const fields = (list) => h('div', { class: 'input-grid' }, list.map((inp) => renderField(inp, msgId, actions)));
    for (const [key, list] of groups) {
      if (!key) { form.append(fields(list)); continue; }
      form.append(h('fieldset', { class: 'input-group', 'data-group': key }, h('legend', null, key), fields(list)));
    }
    return form;
  }

  // collectForm gives every filled-in input as a string, leaving out those that belong to other buttons.
  function collectForm(cardEl, action) {
    const form = {};
    for (const el of cardEl.querySelectorAll('[data-input]')) {
      const only = forList(el.dataset.for);
      if (only.length && !only.includes(action)) continue;
      const v = el.value == null ? '' : String(el.value);
      if (v.trim() === '') continue; // an empty control means "not given"
      form[el.dataset.input] = v;
    }
    return form;
  }

  async function onAction(btn) {
    const cardEl = btn.closest('.card');
    if (!cardEl || cardEl.classList.contains('busy')) return;
    const msgId = cardEl.dataset.messageId;
    const body = { as: state.me, message_id: msgId, action: btn.dataset.action, form: collectForm(cardEl, btn.dataset.action) };
    cardEl.classList.add('busy');
    btn.classList.add('loading');
    const buttons = [...cardEl.querySelectorAll('[data-action]')];
    buttons.forEach((b) => { b.disabled = true; });
    let res = null;
    try {
      res = await api('POST', 'actions', body);
    } catch (e) {
      toast(errText(e), 'error');
    }
    if (cardEl.isConnected) {
      cardEl.classList.remove('busy');
      btn.classList.remove('loading');
      buttons.forEach((b) => { b.disabled = false; });
    }
    if (res && res.toast) toast(res.toast);
    if (res && res.card && typeof res.card === 'object') replaceCard(msgId, res.card);
    state.pane.forceBottom = false;
    refresh(true);
  }

  function replaceCard(msgId, card) {
    const it = state.pane.items.get(String(msgId));
    if (!it) return;
    const old = it.el.querySelector('.card');
    if (old) swapCard(old, card, msgId);
    else fillBody(it.el, { ...it.msg, card });
    it.msg = { ...it.msg, card };
    it.sig = stable(it.msg);
  }

  // ---------- charts ----------

  // niceMax gives a round top for an axis of four steps.
  function niceMax(v) {
    if (!(v > 0)) return 4;
    const step = v / 4;
    const p = Math.pow(10, Math.floor(Math.log10(step)));
    for (const f of [1, 2, 2.5, 3, 5, 10]) if (f * p >= step) return 4 * f * p;
    return 40 * p;
  }

  // renderChart draws a line (burn-up), bar or Gantt chart. Any other shape gives null and is ignored.
  function renderChart(chart) {
    try {
      if (!chart || typeof chart !== 'object') return null;
      const type = String(chart.type || 'line').toLowerCase();
      if (type === 'gantt') return ganttChart(chart);
      if (!['burnup', 'burndown', 'line', 'bar', 'pareto'].includes(type)) return null;
      const labels = Array.isArray(chart.labels) ? chart.labels.map((l) => String(l)) : null;
      const series = Array.isArray(chart.series)
        ? chart.series.filter((x) => x && Array.isArray(x.values)) : [];
      if (!labels || !labels.length || !series.length) return null;
      const num = (v) => (typeof v === 'number' ? v : v == null || v === '' ? NaN : Number(v));
      const all = series.flatMap((x) => x.values.map(num)).filter(Number.isFinite);
      if (!all.length) return null;
      const bars = type === 'bar' || type === 'pareto';
      // Several lines: the first (the plan) is grey and dashed. A single line or bars start with blue.
      const colors = series.map((x, i) => seriesColor(x, bars || series.length === 1 ? i + 1 : i));
      const svg = bars ? barChart(labels, series, num, all, colors) : lineChart(labels, series, num, all, colors);
      const legend = h('div', { class: 'legend' }, series.map((x, i) => h('span', { class: 'legend-item' },
        h('i', { style: `background:${colors[i]}` }), x.name || `#${i + 1}`)));
      return h('div', { class: 'chart', 'data-chart': type },
        chart.title ? h('div', { class: 'chart-title' }, String(chart.title)) : null, svg, legend);
    } catch (_) {
      return null;
    }
  }

  function seriesColor(x, i) {
    if (x && typeof x.color === 'string' && /^#[0-9a-f]{3,8}$/i.test(x.color)) return x.color;
    return SERIES_COLORS[i % SERIES_COLORS.length];
  }

  function chartFrame(labels, all) {
    const W = 460, H = 200, L = 36, R = 12, T = 12, B = 28;
    const max = niceMax(Math.max(...all, 0));
    const min = Math.min(0, ...all);
    const y = (v) => T + (H - T - B) * (1 - (v - min) / (max - min || 1));
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'img', preserveAspectRatio: 'xMidYMid meet' });
    for (let k = 0; k <= 4; k++) {
      const v = min + ((max - min) * k) / 4;
      const yy = y(v);
      svg.append(s('line', { x1: L, x2: W - R, y1: yy, y2: yy, class: k === 0 ? 'axis' : 'grid' }));
      svg.append(s('text', { x: L - 6, y: yy + 3.5, 'text-anchor': 'end', class: 'tick' }, fmtNum(v)));
    }
    return { W, H, L, R, T, B, y, svg };
  }

  function fmtNum(v) {
    return Math.abs(v) >= 1000 ? (v / 1000).toFixed(v % 1000 ? 1 : 0) + 'k' : String(Math.round(v * 10) / 10);
  }

  function xLabels(f, labels, xAt) {
    const every = Math.max(1, Math.ceil(labels.length / 8));
    labels.forEach((lab, i) => {
      if (i % every !== 0 && i !== labels.length - 1) return;
      f.svg.append(s('text', { x: xAt(i), y: f.H - 9, 'text-anchor': 'middle', class: 'tick' }, lab.length > 8 ? lab.slice(0, 8) + '…' : lab));
    });
  }

  function lineChart(labels, series, num, all, colors) {
    const f = chartFrame(labels, all);
    const n = labels.length;
    const x = (i) => (n === 1 ? (f.L + f.W - f.R) / 2 : f.L + 6 + ((f.W - f.R - f.L - 12) * i) / (n - 1));
    xLabels(f, labels, x);
    series.forEach((ser, si) => {
      const color = colors[si];
      let d = '';
      let pen = false;
      ser.values.slice(0, n).forEach((raw, i) => {
        const v = num(raw);
        if (!Number.isFinite(v)) { pen = false; return; }
        d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${f.y(v).toFixed(1)} `;
        pen = true;
      });
      const dashed = si === 0 && series.length > 1 ? { 'stroke-dasharray': '5 4' } : {};
      f.svg.append(s('path', { d, fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-linejoin': 'round', 'stroke-linecap': 'round', ...dashed }));
      ser.values.slice(0, n).forEach((raw, i) => {
        const v = num(raw);
        if (!Number.isFinite(v)) return;
        f.svg.append(s('circle', { cx: x(i), cy: f.y(v), r: 2.6, fill: '#fff', stroke: color, 'stroke-width': 1.6 },
          s('title', {}, `${ser.name || ''} ${labels[i]}: ${raw}`)));
      });
    });
    return f.svg;
  }

  function barChart(labels, series, num, all, colors) {
    const f = chartFrame(labels, all);
    const n = labels.length;
    const band = (f.W - f.R - f.L) / n;
    const bw = Math.min(28, (band * 0.7) / series.length);
    const x = (i) => f.L + band * (i + 0.5);
    xLabels(f, labels, x);
    series.forEach((ser, si) => {
      const color = colors[si];
      ser.values.slice(0, n).forEach((raw, i) => {
        const v = num(raw);
        if (!Number.isFinite(v)) return;
        const x0 = x(i) - (bw * series.length) / 2 + bw * si;
        const y0 = f.y(Math.max(v, 0));
        const y1 = f.y(Math.min(v, 0));
        f.svg.append(s('rect', { x: x0, y: y0, width: Math.max(1, bw - 2), height: Math.max(1, y1 - y0), rx: 2, fill: color },
          s('title', {}, `${ser.name || ''} ${labels[i]}: ${raw}`)));
      });
    });
    return f.svg;
  }

  // dayNum reads a yyyy-mm-dd date as a day count (UTC days since 1970), NaN for anything else.
  function dayNum(v) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(v || ''));
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) / 86400000 : NaN;
  }

  function dayLabel(n) {
    const d = new Date(n * 86400000);
    return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  }

  // todayNum is today on the playground's clock (the fake one when it runs), as a day count.
  function todayNum() {
    const w = state.clock ? wall(state.clock.ms, state.clock.off.min) : null;
    if (w) return Date.UTC(w.y, w.mo - 1, w.d) / 86400000;
    const now = new Date();
    return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) / 86400000;
  }

  // ganttChart draws chart.bars over dates: one row a task (its code and title on the left), a bar from its start
  // to its finish with its progress filled in, critical tasks in red, milestones as ◆, and a line at today.
  function ganttChart(chart) {
    const bars = (Array.isArray(chart.bars) ? chart.bars : []).filter((b) => b && typeof b === 'object').map((b) => {
      let start = dayNum(b.start), finish = dayNum(b.finish);
      if (!Number.isFinite(start)) start = finish;
      if (!Number.isFinite(finish) || finish < start) finish = start;
      const progress = Math.max(0, Math.min(100, Number(b.progress) || 0));
      return { task: String(b.task || ''), label: String(b.label || ''), start, finish, progress,
        critical: b.critical === true, milestone: b.milestone === true, done: b.done === true };
    }).filter((b) => Number.isFinite(b.start));
    if (!bars.length) return null;
    const today = todayNum();
    let lo = Math.min(...bars.map((b) => b.start)), hi = Math.max(...bars.map((b) => b.finish)) + 1;
    if (today >= lo - 3 && today <= hi + 3) { lo = Math.min(lo, today); hi = Math.max(hi, today + 1); }
    const W = 460, L = 132, R = 10, T = 22, RH = 20, B = 6;
    const H = T + RH * bars.length + B;
    const x = (d) => L + ((W - L - R) * (d - lo)) / (hi - lo);
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg gantt', role: 'img', preserveAspectRatio: 'xMidYMid meet' });
    const every = Math.max(1, Math.ceil((hi - lo) / 6));
    for (let d = lo; d < hi; d += every) {
      svg.append(s('line', { x1: x(d), x2: x(d), y1: T - 4, y2: H - B, class: 'grid' }));
      svg.append(s('text', { x: x(d) + 2, y: T - 8, class: 'tick' }, dayLabel(d)));
    }
    bars.forEach((b, i) => {
      const y = T + RH * i;
      const kind = b.milestone ? 'milestone' : 'task';
      const g = s('g', { class: 'gantt-row' + (b.critical ? ' critical' : '') + (b.done ? ' done' : ''),
        'data-task': b.task, 'data-kind': kind, 'data-critical': String(b.critical) });
      const name = b.label.length > 12 ? b.label.slice(0, 12) + '…' : b.label;
      g.append(s('text', { x: 4, y: y + 13.5, class: 'gantt-label' }, (b.milestone ? '◆ ' : '') + b.task + ' ' + name));
      const span = `${dayLabel(b.start)} → ${dayLabel(b.finish)}`;
      if (b.milestone) {
        const cx = x(b.finish + 0.5), cy = y + RH / 2, r = 6;
        g.append(s('path', { d: `M${cx} ${cy - r}L${cx + r} ${cy}L${cx} ${cy + r}L${cx - r} ${cy}Z`, class: 'gantt-milestone' },
          s('title', {}, `◆ ${b.task} ${b.label} ${dayLabel(b.finish)}`)));
      } else {
        const x0 = x(b.start), w = Math.max(2, x(b.finish + 1) - x0);
        g.append(s('rect', { x: x0, y: y + 4, width: w, height: RH - 8, rx: 3, class: 'gantt-bar' },
          s('title', {}, `${b.task} ${b.label} ${span} ${b.progress}%`)));
        if (b.progress > 0) {
          g.append(s('rect', { x: x0, y: y + 4, width: (w * b.progress) / 100, height: RH - 8, rx: 3, class: 'gantt-progress' }));
        }
      }
      svg.append(g);
    });
    if (today >= lo && today < hi) {
      svg.append(s('line', { x1: x(today), x2: x(today), y1: T - 4, y2: H - B, class: 'gantt-today' },
        s('title', {}, dayLabel(today))));
    }
    const legend = h('div', { class: 'legend' },
      h('span', { class: 'legend-item' }, h('i', { class: 'gantt-key' }), '任务 task'),
      h('span', { class: 'legend-item' }, h('i', { class: 'gantt-key critical' }), '关键 critical'),
      h('span', { class: 'legend-item' }, '◆ 里程碑 milestone'),
      h('span', { class: 'legend-item' }, h('i', { class: 'gantt-key today' }), '今天 today'));
    return h('div', { class: 'chart', 'data-chart': 'gantt' },
      chart.title ? h('div', { class: 'chart-title' }, String(chart.title)) : null, svg, legend);
  }

  // ---------- toasts ----------

  function toast(text, kind) {
    const box = $('#toasts');
    const el = h('div', { class: 'toast' + (kind === 'error' ? ' toast-error' : ''), role: 'status' }, String(text));
    box.append(el);
    while (box.children.length > 4) box.firstChild.remove();
    setTimeout(() => {
      el.classList.add('leaving');
      setTimeout(() => el.remove(), 300);
    }, kind === 'error' ? 5000 : 3200);
  }

  // ---------- clock ----------

  async function loadClock(quiet) {
    try {
      // The clock is shown in the zone of the person one is (their own, else the calendar's),
      // the zone in which the bot reads their "today" and "tomorrow".
      const d = await api('GET', 'clock' + (state.me ? '?as=' + encodeURIComponent(state.me) : ''));
      setClock(d.now, d.zone);
    } catch (e) {
      if (e.status === 403 || e.status === 404 || e.status === 405 || !quiet) {
        state.clock = null;
        $('#clock').hidden = true;
      }
    }
  }

  function setClock(now, zone) {
    const t = parseTime(now);
    if (!t) return;
    const changed = !state.clock || state.clock.now !== now;
    state.clock = { now, ms: t.ms, off: t.off, zone: zone || '' };
    $('#clock').hidden = false;
    const w = wall(t.ms, t.off.min);
    const el = $('#clock-now');
    // The year and the English weekday are hidden on narrow screens; textContent keeps the whole time.
    el.replaceChildren(h('span', { class: 'cy' }, `${w.y}-`), `${pad(w.mo)}-${pad(w.d)} ${WEEK_ZH[w.wd]} `,
      h('span', { class: 'cen' }, `${WEEK_EN[w.wd]} `), hm(w));
    el.title = zone ? `${now} (${zone})` : now;
    const input = $('#clock-input');
    if (changed && document.activeElement !== input) input.value = `${w.y}-${pad(w.mo)}-${pad(w.d)}T${hm(w)}`;
  }

  async function postClock(body) {
    const ctl = $('#clock-controls');
    if (ctl.classList.contains('busy')) return;
    ctl.classList.add('busy');
    $('#clock-busy').hidden = false;
    ctl.querySelectorAll('button, input').forEach((b) => { b.disabled = true; });
    try {
      const d = await api('POST', 'clock', Object.assign({ as: state.me }, body));
      if (d.now) setClock(d.now, d.zone);
      else await loadClock();
      toast('时钟已更新 Clock → ' + $('#clock-now').textContent);
    } catch (e) {
      toast('时钟 Clock: ' + errText(e), 'error');
      if (e.status === 403) { state.clock = null; $('#clock').hidden = true; }
    } finally {
      ctl.classList.remove('busy');
      $('#clock-busy').hidden = true;
      ctl.querySelectorAll('button, input').forEach((b) => { b.disabled = false; });
      refresh(true);
    }
  }

  // nextNineThirty is the next 09:30 on the wall clock shown, written without an offset: the server reads it in
  // the zone of the person one is, so that a daylight-saving change between now and then is accounted for.
  function nextNineThirty() {
    const c = state.clock;
    const w = wall(c.ms, c.off.min);
    let day = Date.UTC(w.y, w.mo - 1, w.d);
    if (w.h > 9 || (w.h === 9 && w.mi >= 30)) day += 86400000; // 09:30 itself is "now", not "next"
    const d = new Date(day);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T09:30:00`;
  }

  function bindClock() {
    $('#clock-1h').addEventListener('click', () => postClock({ advance: '1h' }));
    $('#clock-1d').addEventListener('click', () => postClock({ advance: '24h' }));
    $('#clock-next').addEventListener('click', () => { if (state.clock) postClock({ set: nextNineThirty() }); });
    const set = () => {
      const v = $('#clock-input').value;
      if (!v || !state.clock) { toast('请选择时间 Pick a date and time', 'error'); return; }
      const full = v.length === 16 ? v + ':00' : v;
      postClock({ set: full }); // a wall time in the zone of the person one is
    };
    $('#clock-set').addEventListener('click', set);
    $('#clock-input').addEventListener('keydown', (e) => { if (e.key === 'Enter') set(); });
  }

  // ---------- composer ----------

  function autosize() {
    const c = $('#composer');
    c.style.height = 'auto';
    c.style.height = Math.min(c.scrollHeight, 160) + 'px';
  }

  function chatParam() {
    return state.chat.startsWith('dm:') ? 'dm' : state.chat;
  }

  async function send() {
    const c = $('#composer');
    const text = c.value.trim();
    if (!text || state.sending || !state.me) return;
    state.sending = true;
    const btn = $('#send');
    btn.disabled = true;
    btn.classList.add('loading');
    c.readOnly = true;
    $('#composer-error').textContent = '';
    hideHints();
    const gen = state.gen;
    try {
      await api('POST', 'messages', { from: state.me, chat: chatParam(), text });
      if (c.value.trim() === text) c.value = '';
      autosize();
      if (gen === state.gen) state.pane.forceBottom = true;
    } catch (e) {
      $('#composer-error').textContent = '发送失败 Not sent: ' + errText(e);
    } finally {
      state.sending = false;
      btn.disabled = false;
      btn.classList.remove('loading');
      c.readOnly = false;
      c.focus();
      refresh(true);
    }
  }

  function matchingCommands(text) {
    if (!text.startsWith('/') || text.includes('\n')) return [];
    const q = text.toLowerCase();
    if (q === '/') return COMMANDS.filter((c) => !/^\/[^\x00-\x7f]/.test(c[0]) || c[0] === '/任务 新建');
    return COMMANDS.filter(([cmd]) => cmd.toLowerCase().startsWith(q));
  }

  function usageFor(text) {
    let best = null;
    for (const c of COMMANDS) {
      if (c[1] && text.startsWith(c[0] + ' ') && (!best || c[0].length > best[0].length)) best = c;
    }
    return best;
  }

  function updateHints() {
    const text = $('#composer').value;
    const list = matchingCommands(text);
    const exact = list.length === 1 && list[0][0] === text.trim();
    state.hintList = exact ? [] : list;
    const box = $('#hints');
    if (!state.hintList.length) {
      hideHints();
    } else {
      if (state.hintIndex >= state.hintList.length) state.hintIndex = -1;
      box.replaceChildren(...state.hintList.map(([cmd, args, desc], i) => h('button', {
        type: 'button',
        class: 'hint' + (i === state.hintIndex ? ' active' : ''),
        role: 'option',
        'data-command': cmd,
        onmousedown: (e) => e.preventDefault(),
        onclick: () => pickHint(i),
      }, h('span', { class: 'hint-cmd' }, cmd), args ? h('span', { class: 'hint-args' }, args) : null,
      h('span', { class: 'hint-desc' }, desc))));
      box.hidden = false;
      const act = box.querySelector('.active');
      if (act) act.scrollIntoView({ block: 'nearest' });
    }
    const u = usageFor(text);
    const usage = $('#usage');
    if (u && box.hidden) {
      usage.replaceChildren(h('span', { class: 'hint-cmd' }, u[0]), ' ', h('span', { class: 'hint-args' }, u[1]),
        h('span', { class: 'hint-desc' }, u[2]));
      usage.hidden = false;
    } else usage.hidden = true;
  }

  function hideHints() {
    $('#hints').hidden = true;
    state.hintIndex = -1;
    state.hintList = [];
  }

  function pickHint(i) {
    const c = state.hintList[i];
    if (!c) return;
    const box = $('#composer');
    box.value = c[0] + (c[1] ? ' ' : '');
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    state.hintIndex = -1;
    autosize();
    updateHints();
  }

  function bindComposer() {
    const c = $('#composer');
    c.addEventListener('input', () => { state.hintIndex = -1; autosize(); updateHints(); });
    c.addEventListener('keydown', (e) => {
      if (e.isComposing || e.keyCode === 229) return; // the IME is choosing characters
      const open = !$('#hints').hidden && state.hintList.length;
      if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
        e.preventDefault();
        const n = state.hintList.length;
        state.hintIndex = e.key === 'ArrowDown' ? (state.hintIndex + 1) % n : (state.hintIndex - 1 + n) % n;
        updateHints();
        return;
      }
      if (open && e.key === 'Tab') {
        e.preventDefault();
        pickHint(state.hintIndex >= 0 ? state.hintIndex : 0);
        return;
      }
      if (e.key === 'Escape') { hideHints(); return; }
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        if (open && state.hintIndex >= 0) { pickHint(state.hintIndex); return; }
        send();
      }
    });
    c.addEventListener('blur', () => setTimeout(() => { if (document.activeElement !== c) hideHints(); }, 150));
    c.addEventListener('focus', updateHints);
    $('#send').addEventListener('click', send);
    $('#help-btn').addEventListener('click', () => {
      c.value = '/help';
      c.focus();
      c.setSelectionRange(c.value.length, c.value.length);
      autosize();
      updateHints();
    });
  }

  // ---------- wiring ----------

  function bindPane() {
    const list = $('#messages');
    list.addEventListener('click', (e) => {
      const btn = e.target.closest('button[data-action]');
      if (btn && list.contains(btn)) onAction(btn);
    });
    list.addEventListener('input', (e) => {
      if (e.target.dataset && e.target.dataset.input) e.target.dataset.dirty = '1';
    });
    list.addEventListener('change', (e) => {
      if (e.target.dataset && e.target.dataset.input) e.target.dataset.dirty = '1';
    });
    list.addEventListener('scroll', () => { if (nearBottom(list)) $('#jump').hidden = true; });
    $('#jump').addEventListener('click', scrollBottom);
  }

  async function main() {
    bindPane();
    bindComposer();
    bindClock();
    $('#as').addEventListener('change', (e) => setPerson(e.target.value, false));
    document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(true); });
    const clock = loadClock();
    await loadPeople();
    const first = initialPerson();
    state.me = first;
    renderPicker();
    await clock;
    if (!first) {
      banner('没有演示人员 No people are configured ([playground.people])');
      return;
    }
    setPerson(first, true);
    if (state.clock) loadClock(true); // now in the zone of the person one is
    setTimeout(loop, POLL_MS);
  }

  main();
})();

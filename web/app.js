// socketchat's built-in browser client: the line protocol (PROTOCOL.md) over a WebSocket
// at /ws on the server that served this page. Every text from the network reaches the
// page through textContent, never as HTML.
'use strict';

(() => {
  const PING_EVERY_MS = 25000;  // the server closes connections idle for 60 s
  const WHO_EVERY_MS = 30000;   // there is no "logged in" notice: refresh the list
  const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
  const MAX_ENTRIES = 1000;     // per feed; the oldest go first
  const HISTORY_COUNT = 50;

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'), logout: $('logout'),
    loginView: $('login-view'), loginForm: $('login-form'), name: $('name'),
    login: $('login'), loginError: $('login-error'),
    chatView: $('chat-view'), users: $('users'), userCount: $('user-count'),
    rooms: $('rooms'), joinForm: $('join-form'), roomName: $('room-name'),
    tabs: $('tabs'), feeds: $('feeds'), feed: $('feed'),
    composer: $('composer'), message: $('message'), messageLabel: $('message-label'),
    send: $('send'), dmTarget: $('dm-target'), dmTargetName: $('dm-target-name'),
    dmClear: $('dm-clear'),
  };

  const state = {
    ws: null,
    wanted: null,        // the name to log in as; kept across reconnects
    me: null,            // the name while logged in on the current connection
    everLoggedIn: false, // since the last log in by hand: reconnects log in again
    attempt: 0,          // reconnect attempts since the last successful login
    reconnectTimer: 0,
    intervals: [],
    pending: [],         // commands awaiting their reply, in the order sent
    markers: 0,
    users: new Map(),    // lower-case name -> name as spelled
    usersMore: 0,        // users the last WHO left out (its MORE line): the list was too long
    rooms: new Map(),    // lower-case room -> { name, feed, tab }
    roomList: [],        // [name, members] from the last ROOMS
    active: '',          // '' for the Everyone feed, else a room's key
    dmTarget: null,
  };

  const key = (name) => name.toLowerCase();
  const byName = (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

  // ---- words for the server's error codes --------------------------------------------

  const ERRORS = {
    'username-taken': 'That name is already taken. Choose another one.',
    'invalid-username': 'That name is not allowed: use 1 to 32 letters, digits, _ . or -, starting with a letter or digit.',
    'already-logged-in': 'You are already logged in.',
    'password-required': 'That name is registered and needs a password, which this page does not support. Choose another name.',
    'not-logged-in': 'You are not logged in.',
    'server-full': 'The server is full. Try again later.',
    'too-many-connections': 'Too many connections from your address.',
    'rate-limited': 'You are sending too fast; that was not sent.',
    'line-too-long': 'That message is too long; it was not sent.',
    'empty-message': 'Empty messages are not sent.',
    'invalid-utf8': 'That message was not valid text; it was not sent.',
    'no-such-user': 'There is nobody online by that name.',
    'invalid-room': 'That room name is not allowed: use 1 to 32 letters, digits, _ . or -, starting with a letter or digit.',
    'already-in-room': 'You are already in that room.',
    'not-in-room': 'You are not in that room.',
    'no-such-room': 'There is no such room.',
    'unknown-command': 'The server does not know that command.',
    'missing-argument': 'Something is missing from that command.',
  };
  const errorText = (code) => ERRORS[code] || `The server said: ${code.replace(/-/g, ' ')}.`;

  // ---- status --------------------------------------------------------------------------

  function setStatus(stateName, text, detail = '') {
    ui.status.dataset.state = stateName;
    ui.status.textContent = text;
    ui.status.title = detail;
    const online = stateName === 'online';
    ui.send.disabled = !online;
    ui.chatView.classList.toggle('offline', !online);
  }

  // ---- the connection ------------------------------------------------------------------

  function wsUrl() {
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = 0;
    let ws;
    try {
      ws = new WebSocket(wsUrl());
    } catch (e) {
      ui.loginError.textContent = `Cannot connect: ${e.message}`;
      return;
    }
    state.ws = ws;
    state.pending = [];
    if (!state.everLoggedIn) setStatus('connecting', 'connecting…');
    ws.onopen = () => {
      if (state.wanted) sendLogin();
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return;  // the protocol is text only
      // A frame holds one or more lines; one without a final LF is one line.
      const lines = event.data.split('\n');
      if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
      for (const line of lines) handleLine(line.replace(/\r$/, ''));
    };
    ws.onclose = () => {
      if (state.ws !== ws) return;
      onDisconnected(ws);
    };
  }

  function onDisconnected(ws) {
    const wasOnline = state.me !== null;
    state.ws = null;
    state.me = null;
    state.pending = [];
    stopTimers();
    ws.onopen = ws.onmessage = ws.onclose = null;
    if (state.everLoggedIn && state.wanted) {
      if (wasOnline) notice(ui.feed, 'Disconnected from the server. Reconnecting…', 'error');
      scheduleReconnect();
    } else {
      setStatus('idle', 'not connected');
      if (state.wanted && !ui.loginError.textContent) {
        ui.loginError.textContent = 'Cannot reach the chat server. Try again in a moment.';
      }
      setLoginBusy(false);
    }
  }

  function scheduleReconnect() {
    const base = BACKOFF_MS[Math.min(state.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));  // jitter: not all at once
    state.attempt += 1;
    setStatus('reconnecting', 'disconnected — reconnecting…',
              `attempt ${state.attempt}, next try in ${(delay / 1000).toFixed(1)} s`);
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = setTimeout(connect, delay);
  }

  function close() {
    if (!state.ws) return;
    const ws = state.ws;
    ws.close();
    onDisconnected(ws);
  }

  // Sends one command as one text frame; `reply` describes what answers it.
  function send(line, reply = null) {
    const ws = state.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(line.replace(/[\r\n]+/g, ' '));
    if (reply) state.pending.push(reply);
    return true;
  }

  // MSG, DM and SAY are answered only when they fail. A PING with a token of ours
  // follows each, so an ERR that arrives before its PONG belongs to that command.
  function sendSilent(line, onError) {
    if (!send(line, { silent: true, onError })) return false;
    state.markers += 1;
    send(`PING m${state.markers}`, { pong: true });
    return true;
  }

  function sendList(line, item, onDone, onError = (code) => notice(currentFeed(), errorText(code), 'error')) {
    return send(line, { item, items: [], onDone, onError });
  }

  function sendOk(line, onOk, onError) {
    return send(line, { ok: true, onOk, onError });
  }

  // ---- login ---------------------------------------------------------------------------

  function setLoginBusy(busy) {
    ui.login.disabled = busy;
    ui.login.textContent = busy ? 'Logging in…' : 'Log in';
  }

  function sendLogin() {
    const name = state.wanted;
    sendOk(`LOGIN ${name}`, () => onLoggedIn(name), (code) => onLoginRefused(code));
  }

  function onLoggedIn(name) {
    const again = state.everLoggedIn;
    state.me = name;
    state.everLoggedIn = true;
    state.attempt = 0;
    setLoginBusy(false);
    ui.loginError.textContent = '';
    ui.loginView.hidden = true;
    ui.chatView.hidden = false;
    ui.logout.hidden = false;
    document.title = `${name} — socketchat`;
    setStatus('online', `connected as ${name}`);
    state.users.clear();
    state.usersMore = 0;
    addUser(name);
    if (again) {
      notice(ui.feed, 'Reconnected: you are back online.', 'back');
      for (const room of state.rooms.values()) {
        sendOk(`JOIN ${room.name}`, () => {},
               (code) => notice(room.feed, `Could not rejoin ${room.name}: ${errorText(code)}`, 'error'));
      }
    } else {
      const welcome = notice(ui.feed, `Welcome, ${name}. Messages here go to everyone who is online.`, 'info');
      loadHistory('*', ui.feed, welcome);
    }
    refreshLists();
    startTimers();
    ui.message.focus();
  }

  function onLoginRefused(code) {
    setLoginBusy(false);
    if (state.everLoggedIn && code === 'username-taken') {
      // The server may not have noticed the old connection end yet: try again later.
      const ws = state.ws;
      if (ws) {
        ws.close();
        onDisconnected(ws);
      }
      ui.status.title = 'the name is still in use on the server; trying again';
      return;
    }
    if (state.everLoggedIn) {
      // Logging in again failed for good: back to the form, with the reason.
      state.everLoggedIn = false;
      showLogin();
    }
    state.wanted = null;
    setStatus('idle', 'not logged in');
    ui.loginError.textContent = errorText(code);
    ui.name.focus();
    ui.name.select();
  }

  function showLogin() {
    ui.chatView.hidden = true;
    ui.loginView.hidden = false;
    ui.logout.hidden = true;
    document.title = 'socketchat';
    state.users.clear();
    state.usersMore = 0;
    renderUsers();
  }

  ui.loginForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = ui.name.value.trim();
    ui.loginError.textContent = '';
    if (!name) {
      ui.loginError.textContent = 'Enter a name first.';
      ui.name.focus();
      return;
    }
    if (/\s/.test(name)) {
      ui.loginError.textContent = errorText('invalid-username');
      ui.name.focus();
      return;
    }
    state.wanted = name;
    setLoginBusy(true);
    if (state.ws && state.ws.readyState === WebSocket.OPEN) sendLogin();
    else if (!state.ws) connect();  // a connecting socket logs in when it opens
  });

  ui.logout.addEventListener('click', () => {
    state.wanted = null;
    state.everLoggedIn = false;
    clearTimeout(state.reconnectTimer);
    send('QUIT');
    close();
    for (const room of state.rooms.values()) {
      room.feed.remove();
      room.tab.remove();
    }
    state.rooms.clear();
    ui.feed.replaceChildren();
    setDmTarget(null);
    activate('');
    showLogin();
    setStatus('idle', 'not connected');
    ui.name.focus();
  });

  // ---- timers --------------------------------------------------------------------------

  function startTimers() {
    stopTimers();
    state.intervals.push(setInterval(() => send('PING', { pong: true }), PING_EVERY_MS));
    state.intervals.push(setInterval(refreshLists, WHO_EVERY_MS));
  }

  function stopTimers() {
    for (const id of state.intervals) clearInterval(id);
    state.intervals = [];
  }

  function refreshLists() {
    sendList('WHO', 'USER', (items, more) => {
      state.users.clear();
      state.usersMore = more;
      for (const name of items) state.users.set(key(name), name);
      if (state.me) state.users.set(key(state.me), state.me);
      renderUsers();
    }, () => {});
    sendList('ROOMS', 'ROOM', (items) => {
      state.roomList = items.map((item) => item.split(' '));
      renderRooms();
    }, () => {});
  }

  // ---- incoming lines ------------------------------------------------------------------

  // "first rest of it" -> ["first", "rest of it"]
  function split1(text) {
    const at = text.indexOf(' ');
    return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
  }

  function handleLine(line) {
    if (!line.trim()) return;
    const [word, rest] = split1(line);
    const verb = word.toUpperCase();
    switch (verb) {
      case 'MSG': {
        const [from, text] = split1(rest);
        addUser(from);
        addEntry(ui.feed, { kind: 'msg', from, text });
        return;
      }
      case 'DM': {
        const [from, text] = split1(rest);
        addUser(from);
        addEntry(ui.feed, { kind: 'dm-in', from, text });
        return;
      }
      case 'SAY': {
        const [roomName, tail] = split1(rest);
        const [from, text] = split1(tail);
        addUser(from);
        const room = state.rooms.get(key(roomName));
        if (room) addEntry(room.feed, { kind: 'say', from, text });
        return;
      }
      case 'INFO':
        handleInfo(rest);
        return;
      default:
        handleReply(verb, rest);
    }
  }

  function handleInfo(rest) {
    const words = rest.split(' ');
    if (words.length === 2 && words[1] === 'disconnected') {
      removeUser(words[0]);
      notice(ui.feed, `${words[0]} disconnected.`, 'info');
      return;
    }
    if (words.length === 3 && (words[1] === 'joined' || words[1] === 'left')) {
      const room = state.rooms.get(key(words[2]));
      if (words[1] === 'joined') addUser(words[0]);
      if (room) notice(room.feed, `${words[0]} ${words[1]} ${room.name}.`, 'info');
      const listed = state.roomList.find(([n]) => key(n) === key(words[2]));
      if (listed) listed[1] = String(Math.max(0, Number(listed[1]) + (words[1] === 'joined' ? 1 : -1)));
      renderRooms();
      return;
    }
    // A word from the server itself: "server shutting down", "disconnected due to inactivity".
    notice(ui.feed, `Server: ${rest}`, 'server');
  }

  // A reply (OK, ERR, USER, ROOM, HIST, MORE, END, PONG) answers the oldest command waiting.
  function handleReply(verb, rest) {
    while (state.pending.length > 0) {
      const head = state.pending[0];
      if (head.silent) {
        state.pending.shift();
        if (verb === 'ERR') {
          head.onError(rest);
          return;
        }
        continue;  // it succeeded; this line answers what came after it
      }
      if (verb === 'ERR') {
        state.pending.shift();
        if (head.onError) head.onError(rest);
        return;
      }
      if (head.ok && verb === 'OK') {
        state.pending.shift();
        head.onOk(rest);
        return;
      }
      if (head.pong && verb === 'PONG') {
        state.pending.shift();
        return;
      }
      if (head.item && verb === head.item) {
        head.items.push(rest);
        return;
      }
      if (head.item && verb === 'MORE') {  // a long list was cut short: this many left out
        head.more = Number(rest) || 0;
        return;
      }
      if (head.item && verb === 'END') {
        state.pending.shift();
        head.onDone(head.items, head.more || 0);
        return;
      }
      console.warn('socketchat: unexpected reply', verb, rest);
      return;
    }
    if (verb === 'ERR') notice(currentFeed(), errorText(rest), 'error');
  }

  // ---- the feeds -----------------------------------------------------------------------

  function formatTime(date) {
    return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }

  function span(className, text) {
    const node = document.createElement('span');
    node.className = className;
    node.textContent = text;
    return node;
  }

  // kind: msg, say, dm-in, dm-out; `own` for what this page sent.
  function addEntry(feed, fields) {
    const item = makeEntry(fields);
    append(feed, item);
    return item;
  }

  function makeEntry({ kind, from = '', to = '', text, own = false, when = new Date(), history = false }) {
    const item = document.createElement('li');
    item.className = `entry ${kind}${own ? ' own' : ''}${history ? ' history' : ''}`;
    item.dataset.kind = kind;
    if (from) item.dataset.from = from;
    if (to) item.dataset.to = to;
    const time = document.createElement('time');
    time.dateTime = when.toISOString();
    time.title = when.toLocaleString();
    time.textContent = formatTime(when);
    item.append(time);
    if (kind === 'dm-in') {
      item.append(span('tag', 'DM'), span('who', `${from} → you`));
    } else if (kind === 'dm-out') {
      item.append(span('tag', 'DM'), span('who', `you → ${to}`));
    } else {
      item.append(span('who', from));
    }
    item.append(span('text', text));
    return item;
  }

  function notice(feed, text, kind) {
    const item = document.createElement('li');
    item.className = `notice ${kind}`;
    item.dataset.kind = kind;
    const time = document.createElement('time');
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = formatTime(now);
    item.append(time, span('text', text));
    append(feed, item);
    return item;
  }

  function markFailed(item, code) {
    if (!item) return;
    item.classList.add('failed');
    item.dataset.failed = code;
    item.append(span('failed-reason', `Not sent: ${errorText(code)}`));
  }

  function append(feed, item) {
    const atBottom = feed.scrollHeight - feed.scrollTop - feed.clientHeight < 40;
    feed.append(item);
    while (feed.childElementCount > MAX_ENTRIES) feed.firstElementChild.remove();
    if (atBottom || item.classList.contains('own')) feed.scrollTop = feed.scrollHeight;
    const tab = tabFor(feed);
    if (tab && tab.dataset.tab !== state.active && item.classList.contains('entry')) {
      const badge = tab.querySelector('.unread');
      badge.textContent = String(Number(badge.textContent || 0) + 1);
      badge.hidden = false;
    }
  }

  function currentFeed() {
    return state.active ? state.rooms.get(state.active).feed : ui.feed;
  }

  // The latest messages stored before we came, put right after `anchor` (the welcome
  // line), so that what arrived meanwhile stays below them.
  function loadHistory(target, feed, anchor) {
    sendList(`HISTORY ${target} ${HISTORY_COUNT}`, 'HIST', (items) => {
      if (items.length === 0 || !anchor.isConnected) return;
      const nodes = [];
      for (const item of items) {  // "<target> <unix-ms> <from> <text>"
        const [ms, afterMs] = split1(split1(item)[1]);
        const [from, text] = split1(afterMs);
        const when = new Date(Number(ms));
        nodes.push(makeEntry({ kind: feed === ui.feed ? 'msg' : 'say', from, text, history: true,
                               when: Number.isFinite(when.getTime()) ? when : new Date(),
                               own: state.me !== null && key(from) === key(state.me) }));
      }
      anchor.after(...nodes);
      feed.scrollTop = feed.scrollHeight;
    }, () => {});  // history may be off on this server: nothing to show then
  }

  // ---- people ----------------------------------------------------------------------------

  function addUser(name) {
    if (!name || state.users.has(key(name))) return;
    state.users.set(key(name), name);
    renderUsers();
  }

  function removeUser(name) {
    if (state.users.delete(key(name))) renderUsers();
  }

  function renderUsers() {
    const names = [...state.users.values()].sort(byName);
    const items = names.map((name) => {
      const item = document.createElement('li');
      item.dataset.user = name;
      const mine = state.me && key(name) === key(state.me);
      if (mine) {
        item.className = 'me';
        item.append(span('name', name), span('you', ' (you)'));
      } else {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'user';
        button.textContent = name;
        button.title = `Send ${name} a direct message`;
        button.addEventListener('click', () => setDmTarget(name));
        if (state.dmTarget && key(state.dmTarget) === key(name)) button.classList.add('selected');
        item.append(button);
      }
      return item;
    });
    ui.users.replaceChildren(...items);
    const count = names.length + state.usersMore;
    ui.userCount.textContent = count ? `(${count})` : '';
  }

  function setDmTarget(name) {
    state.dmTarget = name;
    ui.dmTarget.hidden = !name;
    ui.dmTargetName.textContent = name || '';
    if (name) activate('');
    updateComposerLabel();
    renderUsers();
    ui.message.focus();
  }

  function updateComposerLabel() {
    let label = 'Message everyone';
    if (state.dmTarget) label = `Direct message to ${state.dmTarget}`;
    else if (state.active) label = `Message room ${state.rooms.get(state.active).name}`;
    ui.messageLabel.textContent = label;
    ui.message.placeholder = label;
  }

  // ---- rooms -------------------------------------------------------------------------------

  function tabFor(feed) {
    if (feed === ui.feed) return ui.tabs.querySelector('[data-tab=""]');
    for (const room of state.rooms.values()) if (room.feed === feed) return room.tab;
    return null;
  }

  function activate(roomKey) {
    state.active = state.rooms.has(roomKey) ? roomKey : '';
    for (const tab of ui.tabs.querySelectorAll('[role="tab"]')) {
      const selected = tab.dataset.tab === state.active;
      tab.setAttribute('aria-selected', String(selected));
      if (selected) {
        const badge = tab.querySelector('.unread');
        badge.textContent = '';
        badge.hidden = true;
      }
    }
    ui.feed.hidden = state.active !== '';
    for (const [k, room] of state.rooms) room.feed.hidden = k !== state.active;
    if (state.active) {
      state.dmTarget = null;  // DMs live in the Everyone feed
      ui.dmTarget.hidden = true;
    }
    updateComposerLabel();
    renderRooms();
    const feed = currentFeed();
    feed.scrollTop = feed.scrollHeight;
  }

  function addRoom(name) {
    const k = key(name);
    if (state.rooms.has(k)) return state.rooms.get(k);
    const feed = document.createElement('ol');
    feed.className = 'feed';
    feed.dataset.room = name;
    feed.id = `room-${k}`;
    feed.setAttribute('role', 'log');
    feed.setAttribute('aria-live', 'polite');
    feed.setAttribute('aria-label', `Room ${name}`);
    feed.hidden = true;
    ui.feeds.append(feed);

    const tab = document.createElement('button');
    tab.type = 'button';
    tab.className = 'tab';
    tab.setAttribute('role', 'tab');
    tab.setAttribute('aria-selected', 'false');
    tab.setAttribute('aria-controls', feed.id);
    tab.dataset.tab = k;
    tab.append(span('room-name', `# ${name}`));
    const badge = span('unread', '');
    badge.hidden = true;
    tab.append(badge);
    const leave = span('leave', '×');
    leave.title = `Leave ${name}`;
    leave.setAttribute('aria-hidden', 'true');
    leave.addEventListener('click', (event) => {
      event.stopPropagation();
      partRoom(name);
    });
    tab.append(leave);
    ui.tabs.append(tab);

    const room = { name, feed, tab };
    state.rooms.set(k, room);
    return room;
  }

  function joinRoom(name) {
    const k = key(name);
    if (state.rooms.has(k)) {
      activate(k);
      return;
    }
    sendOk(`JOIN ${name}`, () => {
      const listed = state.roomList.find(([n]) => key(n) === k);
      const room = addRoom(listed ? listed[0] : name);
      const joined = notice(room.feed, `You joined ${room.name}.`, 'info');
      loadHistory(room.name, room.feed, joined);
      activate(k);
      refreshLists();
    }, (code) => notice(currentFeed(), errorText(code), 'error'));
  }

  function partRoom(name) {
    const k = key(name);
    const room = state.rooms.get(k);
    if (!room) {
      notice(currentFeed(), `You are not in a room called ${name}.`, 'error');
      return;
    }
    const forget = () => {
      room.feed.remove();
      room.tab.remove();
      state.rooms.delete(k);
      if (state.active === k) activate('');
      refreshLists();
    };
    if (!sendOk(`PART ${room.name}`, forget, forget)) forget();
  }

  function renderRooms() {
    const names = new Map();
    for (const [name, members] of state.roomList) names.set(key(name), { name, members });
    for (const [k, room] of state.rooms) if (!names.has(k)) names.set(k, { name: room.name, members: '' });
    const items = [...names.values()].sort((a, b) => byName(a.name, b.name)).map(({ name, members }) => {
      const item = document.createElement('li');
      item.dataset.room = name;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'room';
      const joined = state.rooms.has(key(name));
      if (joined) button.classList.add('joined');
      if (state.active === key(name)) button.classList.add('selected');
      button.append(span('room-name', `# ${name}`));
      if (members) button.append(span('count', members));
      button.title = joined ? `Show ${name}` : `Join ${name}`;
      button.addEventListener('click', () => joinRoom(name));
      item.append(button);
      return item;
    });
    ui.rooms.replaceChildren(...items);
  }

  ui.tabs.addEventListener('click', (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab) activate(tab.dataset.tab);
    ui.message.focus();
  });

  ui.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = ui.roomName.value.trim();
    if (!name) return;
    ui.roomName.value = '';
    joinRoom(name);
  });

  // ---- sending ---------------------------------------------------------------------------

  const HELP = [
    'Enter sends to everyone, to the room you are looking at, or as a DM after you click a name.',
    '/dm name text: a direct message.  /join room, /part [room]: rooms.  /who: refresh the list.',
    'Esc stops sending direct messages.',
  ];

  function sendMessage(raw) {
    const text = raw.trim();
    if (!text) return true;
    if (!state.me) {
      notice(currentFeed(), 'Not connected: the message was not sent.', 'error');
      return false;
    }
    if (text.startsWith('/') && !text.startsWith('//')) return runCommand(text);
    const body = text.startsWith('//') ? text.slice(1) : text;
    if (state.dmTarget) return sendDm(state.dmTarget, body);
    if (state.active) {
      const room = state.rooms.get(state.active);
      const item = addEntry(room.feed, { kind: 'say', from: state.me, text: body, own: true });
      return sendSilent(`SAY ${room.name} ${body}`, (code) => markFailed(item, code));
    }
    const item = addEntry(ui.feed, { kind: 'msg', from: state.me, text: body, own: true });
    return sendSilent(`MSG ${body}`, (code) => markFailed(item, code));
  }

  function sendDm(to, text) {
    if (!text.trim()) return true;
    if (state.me && key(to) === key(state.me)) {
      notice(ui.feed, 'You cannot send a direct message to yourself.', 'error');
      return false;
    }
    if (state.active) activate('');
    const item = addEntry(ui.feed, { kind: 'dm-out', to, text, own: true });
    return sendSilent(`DM ${to} ${text}`, (code) => {
      markFailed(item, code);
      if (code === 'no-such-user') {
        item.lastChild.textContent = `Not sent: ${to} is not online.`;
        removeUser(to);
      }
    });
  }

  function runCommand(text) {
    const [word, rest] = split1(text);
    const command = word.slice(1).toLowerCase();
    const [arg, tail] = split1(rest.trim());
    switch (command) {
      case 'dm':
      case 'msg':
        if (!arg || !tail.trim()) {
          notice(currentFeed(), 'Usage: /dm name text', 'error');
          return false;
        }
        return sendDm(arg, tail.trim());
      case 'join':
        if (!arg) {
          notice(currentFeed(), 'Usage: /join room', 'error');
          return false;
        }
        joinRoom(arg);
        return true;
      case 'part':
      case 'leave': {
        const name = arg || (state.active && state.rooms.get(state.active).name);
        if (!name) {
          notice(currentFeed(), 'Usage: /part room', 'error');
          return false;
        }
        partRoom(name);
        return true;
      }
      case 'who':
        refreshLists();
        return true;
      case 'help':
        for (const line of HELP) notice(currentFeed(), line, 'info');
        return true;
      default:
        notice(currentFeed(), `Unknown command ${word}. Type /help for the list.`, 'error');
        return false;
    }
  }

  ui.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    if (sendMessage(ui.message.value)) ui.message.value = '';
    ui.message.focus();
  });

  ui.message.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.dmTarget) setDmTarget(null);
  });
  ui.dmClear.addEventListener('click', () => setDmTarget(null));

  // Back online after the network returned: no need to wait for the backoff.
  window.addEventListener('online', () => {
    if (state.reconnectTimer) connect();
  });

  ui.name.focus();
})();

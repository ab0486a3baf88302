// socketchat's built-in browser client: the line protocol (PROTOCOL.md) over a WebSocket
// at /ws on the server that served this page. Every text from the network reaches the
// page through textContent, never as HTML. A password goes to the server once, in the
// command that needs it, and is kept nowhere; an account's session token (PROTOCOL.md,
// Accounts) is kept in localStorage, to log back in after a reload or a reconnect.
'use strict';

(() => {
  const PING_EVERY_MS = 25000;  // the server closes connections idle for 60 s
  const WHO_EVERY_MS = 30000;   // there is no "logged in" notice: refresh the list
  const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
  const MAX_ENTRIES = 1000;     // per feed; the oldest go first
  const HISTORY_COUNT = 50;
  const RESUME_COUNT = 500;     // what one HISTORY ... AFTER brings back after a reconnect
  const TOKEN_KEY = 'socketchat.token';
  const RESUME_ATTEMPTS = 4;    // logging back in by token on load: tries before the form

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'), logout: $('logout'),
    loginView: $('login-view'), loginForm: $('login-form'), name: $('name'),
    password: $('password'), guest: $('guest'), login: $('login'), register: $('register'),
    loginError: $('login-error'), resuming: $('resuming'),
    chatView: $('chat-view'), users: $('users'), userCount: $('user-count'),
    rooms: $('rooms'), joinForm: $('join-form'), roomName: $('room-name'),
    tabs: $('tabs'), feeds: $('feeds'), feed: $('feed'),
    composer: $('composer'), message: $('message'), messageLabel: $('message-label'),
    send: $('send'), dmTarget: $('dm-target'), dmTargetName: $('dm-target-name'),
    dmClear: $('dm-clear'),
  };

  const state = {
    ws: null,
    // How to log in on the next connection: { kind: 'guest', name }, { kind: 'token',
    // token }, or { kind: 'login' | 'register', name, password } until that is sent.
    wanted: null,
    me: null,            // the name while logged in on the current connection
    account: false,      // logged in to an account (not as a guest)
    everLoggedIn: false, // since the last log in by hand: reconnects log in again
    resuming: false,     // logging back in with the stored token, on load
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
    ids: false,          // the server gives message ids and echoes ours (CAPS ids echo)
    connection: 0,       // connections made: what was sent on an earlier one is known by it
    dmPartners: new Set(),  // lower-case names we exchanged DMs with: their DMs resume too
  };

  const key = (name) => name.toLowerCase();
  const byName = (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

  // ---- words for the server's error codes --------------------------------------------

  const ERRORS = {
    'username-taken': 'That name is already taken. Choose another one.',
    'invalid-username': 'That name is not allowed: use 1 to 32 letters, digits, _ . or -, starting with a letter or digit.',
    'already-logged-in': 'You are already logged in.',
    'password-required': 'This name is registered: enter its password, or choose another name to join as a guest.',
    'bad-credentials': 'Wrong name or password.',
    'weak-password': 'That password is too short: use at least 8 characters.',
    'password-too-long': 'That password is too long: use at most 256 bytes.',
    'invalid-password': 'A password cannot contain spaces or tabs.',
    'username-registered': 'That name is already registered. Log in with its password, or choose another name.',
    'registration-closed': 'This server does not let anyone register: an operator creates the accounts.',
    'tls-required': 'This server accepts passwords only over an encrypted connection (https). Join as a guest, or use the https address.',
    'login-throttled': 'Too many failed logins. Wait a few minutes, then try again.',
    'bad-token': 'Your session has ended: log in again.',
    'not-registered': 'That needs an account; you joined as a guest.',
    'server-busy': 'The server is busy. Try again in a moment.',
    'not-operator': 'Only the room\'s operators (or a server operator) may do that.',
    'invite-only': 'That room is by invitation only: ask one of its operators to /invite you.',
    'bad-key': 'That room has a key: /join room key.',
    'room-full': 'That room is full.',
    'moderated': 'That room is moderated: only its operators and voiced members speak.',
    'unknown-mode': 'Unknown mode: the modes are o v t n m i k l b.',
    'invalid-argument': 'That mode needs a valid argument (a key, a limit or a mask).',
    'invalid-id': 'That message id is not one this server gave.',
    'banned': 'You are banned from there.',
    'muted': 'You are muted there: that was not sent.',
    'too-many-bans': 'The server holds as many bans and mutes as it may: lift one first.',
    'cannot-rename': 'Your name cannot change here: it is your account\'s, or the server does not allow it.',
    'storage-failed': 'The server could not store that. Try again later.',
    'connection-lost': 'The connection dropped before the server had it.',
    'not-logged-in': 'You are not logged in.',
    'server-full': 'The server is full. Try again later.',
    'too-many-connections': 'Too many connections from your address.',
    'rate-limited': 'You are sending too fast; that was not sent.',
    'message-rejected': 'The server refused that message; it was not sent.',
    'too-many-rooms': 'You are in too many rooms, or the server has too many: leave one first.',
    'invalid-count': 'That is not a number of messages.',
    'internal': 'Something went wrong on the server. Try again.',
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
  // A LOGIN with a password or a TOKEN is refused username-taken when the account is
  // online on another connection; for a guest's LOGIN the name is simply in use.
  const accountInUse = 'This account is logged in on another connection. Log out there first, or try again in a moment.';

  // ---- the session token: the only credential this page keeps ------------------------

  function storedToken() {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch {
      return null;  // storage may be off: then nobody is logged back in
    }
  }

  function storeToken(token) {
    try {
      localStorage.setItem(TOKEN_KEY, token);
    } catch {
      // not kept: the next load shows the form
    }
  }

  function forgetToken() {
    try {
      localStorage.removeItem(TOKEN_KEY);
    } catch {
      // nothing was kept
    }
  }

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
    state.connection += 1;
    state.pending = [];
    if (state.resuming) setStatus('connecting', 'logging back in…');
    else if (!state.everLoggedIn) setStatus('connecting', 'connecting…');
    ws.onopen = () => {
      // Message ids and our own messages back (PROTOCOL.md, Message ids): the page shows
      // what the server stored, each message once, in order, also after a reconnect. A
      // server without them says ERR, and the page shows what it sends as it is sent.
      state.ids = false;
      send('CAPS ids echo', { expect: 'CAPS', onReply: (caps) => { state.ids = caps.split(' ').includes('ids'); },
                              onError: () => {} });
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

  // A guest logs in again by name, an account by its token; a password is never kept.
  const canLogInAgain = () => state.wanted !== null &&
      (state.wanted.kind === 'guest' || state.wanted.kind === 'token');

  function onDisconnected(ws) {
    const wasOnline = state.me !== null;
    state.ws = null;
    state.me = null;
    state.pending = [];
    stopTimers();
    ws.onopen = ws.onmessage = ws.onclose = null;
    if (state.everLoggedIn && canLogInAgain()) {
      if (wasOnline) notice(ui.feed, 'Disconnected from the server. Reconnecting…', 'error');
      scheduleReconnect();
    } else if (state.resuming && canLogInAgain() && state.attempt < RESUME_ATTEMPTS) {
      scheduleReconnect();
    } else {
      const tried = state.wanted !== null;
      state.wanted = null;  // with any password in it
      let reason = 'Cannot reach the chat server. Try again in a moment.';
      if (state.everLoggedIn) {
        // An account whose token has not arrived yet cannot log in again by itself.
        state.everLoggedIn = false;
        reason = 'Disconnected from the server. Log in again.';
        leaveChat();
      }
      endResuming();
      setStatus('idle', 'not connected');
      if (tried && !ui.loginError.textContent) ui.loginError.textContent = reason;
      setLoginBusy(false);
    }
  }

  function scheduleReconnect() {
    const base = BACKOFF_MS[Math.min(state.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));  // jitter: not all at once
    state.attempt += 1;
    const detail = `attempt ${state.attempt}, next try in ${(delay / 1000).toFixed(1)} s`;
    if (state.resuming) setStatus('connecting', 'logging back in…', detail);
    else setStatus('reconnecting', 'disconnected — reconnecting…', detail);
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = setTimeout(connect, delay);
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

  const ACTION_LABELS = { guest: 'Join as guest', login: 'Log in', register: 'Register' };
  const BUSY_LABELS = { guest: 'Joining…', login: 'Logging in…', register: 'Registering…' };
  let leaving = null;  // after Log out: settles once the server has ended that session

  function setLoginBusy(busy, action = null) {
    for (const button of [ui.guest, ui.login, ui.register]) {
      const which = button.dataset.action;
      button.disabled = busy;
      button.textContent = busy && which === action ? BUSY_LABELS[which] : ACTION_LABELS[which];
    }
  }

  function sendLogin() {
    const wanted = state.wanted;
    if (wanted.kind === 'token') {
      sendOk(`TOKEN ${wanted.token}`, (name) => onLoggedIn(name.trim() || state.me || '', true), onLoginRefused);
      return;
    }
    if (wanted.kind === 'guest') {
      sendOk(`LOGIN ${wanted.name}`, () => onLoggedIn(wanted.name, false), onLoginRefused);
      return;
    }
    if (!wanted.password) return;  // sent already: it is not kept for another try
    const { name, password } = wanted;
    wanted.password = null;
    const verb = wanted.kind === 'register' ? 'REGISTER' : 'LOGIN';
    sendOk(`${verb} ${name} ${password}`, () => {
      requestToken();  // asked first, so that a reload soon after finds it
      onLoggedIn(name, true);
    }, onLoginRefused);
  }

  // The token, not the password, logs this account back in: after a reload, a reconnect.
  function requestToken() {
    send('TOKEN', {
      expect: 'TOKEN',
      onReply: (text) => {
        const token = text.trim();
        if (!token || !state.account) return;
        storeToken(token);
        state.wanted = { kind: 'token', token };
      },
      onError: () => {},  // none to be had: the next visit logs in by hand
    });
  }

  function onLoggedIn(name, account) {
    const again = state.everLoggedIn;
    state.me = name;
    state.account = account;
    state.everLoggedIn = true;
    state.attempt = 0;
    if (!account) forgetToken();  // a guest keeps no token
    endResuming();
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
      for (const room of state.rooms.values()) rejoin(room);
      resumeFeed();
    } else {
      const welcome = notice(ui.feed, `Welcome, ${name}. Messages here go to everyone who is online.`, 'info');
      loadHistory('*', ui.feed, welcome);
    }
    refreshLists();
    startTimers();
    ui.message.focus();
  }

  const PASSWORD_ERRORS = new Set(['bad-credentials', 'weak-password', 'password-too-long', 'invalid-password',
                                   'password-required', 'tls-required']);

  function onLoginRefused(code) {
    setLoginBusy(false);
    const kind = state.wanted ? state.wanted.kind : null;
    if (code === 'username-taken' && canLogInAgain() &&
        (state.everLoggedIn || (state.resuming && state.attempt < RESUME_ATTEMPTS))) {
      // The server may not have noticed the old connection end yet (a reconnect, a
      // reload): try again later.
      const ws = state.ws;
      if (ws) {
        ws.close();
        onDisconnected(ws);
      }
      ui.status.title = 'the name is still in use on the server; trying again';
      return;
    }
    if (code === 'bad-token') forgetToken();
    if (state.everLoggedIn) {
      // Logging in again failed for good: back to the form, with the reason.
      state.everLoggedIn = false;
      leaveChat();
    }
    endResuming();
    state.wanted = null;
    state.account = false;
    setStatus('idle', 'not logged in');
    const accountRefused = code === 'username-taken' && (kind === 'login' || kind === 'token');
    ui.loginError.textContent = accountRefused ? accountInUse : errorText(code);
    if (PASSWORD_ERRORS.has(code) && code !== 'tls-required') {
      ui.password.focus();
    } else {
      ui.name.focus();
      ui.name.select();
    }
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

  // Back to the form, with nothing left of the chat: the rooms, the feeds, the DM target.
  function leaveChat() {
    state.dmPartners.clear();
    for (const room of state.rooms.values()) {
      room.feed.remove();
      room.tab.remove();
    }
    state.rooms.clear();
    ui.feed.replaceChildren();
    setDmTarget(null);
    activate('');
    showLogin();
  }

  function endResuming() {
    state.resuming = false;
    ui.resuming.hidden = true;
    ui.loginForm.hidden = false;
  }

  function submitLogin(action) {
    const name = ui.name.value.trim();
    const password = ui.password.value;
    ui.password.value = '';  // out of the page at once: sent once, kept nowhere
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
    if (action !== 'guest') {
      if (!password) {
        ui.loginError.textContent = action === 'register'
          ? 'Choose a password to register: at least 8 characters, without spaces.'
          : 'Enter the password of this name to log in, or join as a guest.';
        ui.password.focus();
        return;
      }
      if (/\s/.test(password)) {
        ui.loginError.textContent = errorText('invalid-password');
        ui.password.focus();
        return;
      }
    }
    state.wanted = action === 'guest' ? { kind: 'guest', name } : { kind: action, name, password };
    setLoginBusy(true, action);
    const go = () => {
      if (state.ws && state.ws.readyState === WebSocket.OPEN) sendLogin();
      else if (!state.ws) connect();  // a connecting socket logs in when it opens
    };
    if (leaving) leaving.then(go);
    else go();
  }

  // Enter in a field: Log in when a password was typed, else Join as guest.
  ui.loginForm.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.isComposing || event.target.tagName !== 'INPUT') return;
    event.preventDefault();
    if (!ui.guest.disabled) submitLogin(ui.password.value ? 'login' : 'guest');
  });

  ui.loginForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const action = event.submitter && event.submitter.dataset.action;
    submitLogin(action || (ui.password.value ? 'login' : 'guest'));
  });

  ui.logout.addEventListener('click', () => {
    forgetToken();
    state.wanted = null;
    state.everLoggedIn = false;
    state.account = false;
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = 0;
    const ws = state.ws;
    if (ws) {
      // QUIT, then wait for the server to close: the account is free again by then, so
      // logging straight back in is not refused as in use.
      send('QUIT');
      onDisconnected(ws);
      leaving = new Promise((resolve) => {
        const timer = setTimeout(() => {
          ws.close();
          resolve();
        }, 3000);
        ws.addEventListener('close', () => {
          clearTimeout(timer);
          resolve();
        });
        if (ws.readyState === WebSocket.CLOSED) {
          clearTimeout(timer);
          resolve();
        }
      }).then(() => { leaving = null; });
    }
    leaveChat();
    setStatus('idle', 'not connected');
    ui.loginError.textContent = '';
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
      // "<room> <members> [topic]"
      state.roomList = items.map((item) => {
        const [name, members, ...topic] = item.split(' ');
        return [name, members, topic.join(' ')];
      });
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
      case 'MSG': {  // "MSG [<id> <unix-ms>] <from> <text>"
        const [stamp, after] = stamped(rest);
        const [from, text] = split1(after);
        addUser(from);
        received(ui.feed, { kind: 'msg', from, text, ...stamp });
        return;
      }
      case 'DM': {  // "DM <from> <text>", or with ids "DM <id> <unix-ms> <from> <to> <text>"
        const [stamp, after] = stamped(rest);
        const [from, tail] = split1(after);
        const [to, text] = stamp.id ? split1(tail) : [state.me || '', tail];
        addUser(from);
        receivedDm(from, to, text, stamp);
        return;
      }
      case 'SAY': {  // "SAY <room> [<id> <unix-ms>] <from> <text>"
        const [roomName, tail] = split1(rest);
        const [stamp, after] = stamped(tail);
        const [from, text] = split1(after);
        addUser(from);
        const room = state.rooms.get(key(roomName));
        if (room) received(room.feed, { kind: 'say', from, text, ...stamp });
        return;
      }
      case 'INFO':
        handleInfo(rest);
        return;
      case 'KICK':
        handleKick(rest);
        return;
      case 'TOPIC':  // the answer to our own TOPIC <room>, or a member's change
        if (state.pending.length > 0 && state.pending[0].expect === 'TOPIC') {
          handleReply(verb, rest);
        } else {
          showTopic(rest, true);
        }
        return;
      case 'MODE': {  // "MODE <room> <by> <changes>": a room operator changed its modes
        const [roomName, tail] = split1(rest);
        const [by, changes] = split1(tail);
        const room = state.rooms.get(key(roomName));
        if (room) notice(room.feed, `${by} set mode ${changes} on ${room.name}.`, 'info');
        return;
      }
      case 'INVITE': {  // "INVITE <room> <by>"
        const [roomName, by] = split1(rest);
        notice(ui.feed, `${by} invites you to ${roomName}: /join ${roomName}`, 'info');
        return;
      }
      default:
        handleReply(verb, rest);
    }
  }

  // "TOPIC <room> <set-by> <unix-ms> <topic>", or without the topic when it has none or
  // was cleared; `changed`: told as a change, not as our question's answer.
  function showTopic(rest, changed) {
    const [roomName, tail] = split1(rest);
    const [by, tail2] = split1(tail);
    const [, topic] = split1(tail2);
    const room = state.rooms.get(key(roomName));
    const listed = state.roomList.find(([n]) => key(n) === key(roomName));
    if (listed) listed[2] = topic;
    renderRooms();
    if (!room) return;
    if (changed) {
      notice(room.feed, topic ? `${by} set the topic of ${room.name}: ${topic}` : `${by} cleared the topic of ${room.name}.`, 'info');
    } else if (topic) {
      notice(room.feed, `Topic of ${room.name}: ${topic} (set by ${by})`, 'info');
    }
  }

  // "KICK <room> <user> <by> [reason]": a room operator took a member out.
  function handleKick(rest) {
    const [roomName, tail] = split1(rest);
    const [user, tail2] = split1(tail);
    const [by, reason] = split1(tail2);
    const k = key(roomName);
    const room = state.rooms.get(k);
    if (!room) return;
    const why = reason ? `: ${reason}` : '.';
    if (state.me && key(user) === key(state.me)) {
      notice(ui.feed, `${by} removed you from ${room.name}${why}`, 'error');
      room.feed.remove();
      room.tab.remove();
      state.rooms.delete(k);
      if (state.active === k) activate('');
      refreshLists();
      return;
    }
    notice(room.feed, `${by} removed ${user} from ${room.name}${why}`, 'info');
  }

  function handleInfo(rest) {
    if (rest === 'banned') {
      notice(ui.feed, 'An operator has banned you from this server.', 'error');
      return;
    }
    if (rest === 'name-taken') {
      notice(ui.feed, 'While this server was cut off from the others, your name was given to someone else.', 'error');
      return;
    }
    const words = rest.split(' ');
    if (words.length === 3 && words[1] === 'renamed') {
      renamed(words[0], words[2]);
      return;
    }
    if (words.length === 2 && words[1] === 'disconnected') {
      removeUser(words[0]);
      notice(ui.feed, `${words[0]} disconnected.`, 'info');
      return;
    }
    // "INFO <user> joined <room>", "INFO <user> left <room> [reason]".
    if ((words.length === 3 && words[1] === 'joined') || (words.length >= 3 && words[1] === 'left')) {
      const room = state.rooms.get(key(words[2]));
      if (words[1] === 'joined') addUser(words[0]);
      const reason = words.slice(3).join(' ');
      if (room) notice(room.feed, `${words[0]} ${words[1]} ${room.name}${reason ? `: ${reason}` : ''}.`, 'info');
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
        if (head.then) state.pending.unshift(head.then);  // JOIN SINCE: its replay follows
        head.onOk(rest);
        return;
      }
      if (head.expect && verb === head.expect) {
        state.pending.shift();
        head.onReply(rest);
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
      if (head.item && verb === 'GAP') {  // "GAP <scope> <why>": not all of it is here
        head.gap = split1(rest)[1];
        return;
      }
      if (head.item && verb === 'MORE') {  // a long list was cut short: this many left out
        head.more = Number(rest) || 0;
        return;
      }
      if (head.item && verb === 'END') {
        state.pending.shift();
        head.onDone(head.items, head.more || 0, head.gap || '');
        return;
      }
      console.warn('socketchat: unexpected reply', verb);  // not its text: it may hold a token
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

  const ACTION = '/me ';

  function makeEntry({ kind, from = '', to = '', text, own = false, when = new Date(), history = false, id = '' }) {
    const item = document.createElement('li');
    item.className = `entry ${kind}${own ? ' own' : ''}${history ? ' history' : ''}`;
    item.dataset.kind = kind;
    if (id) item.dataset.id = id;
    if (from) item.dataset.from = from;
    if (to) item.dataset.to = to;
    const time = document.createElement('time');
    time.dateTime = when.toISOString();
    time.title = when.toLocaleString();
    time.textContent = formatTime(when);
    item.append(time);
    // An action ("/me waves", PROTOCOL.md): "* alice waves", in italics.
    const action = text.startsWith(ACTION) && text.length > ACTION.length;
    if (action) {
      item.classList.add('action');
      item.dataset.action = 'true';
    }
    const star = action ? '* ' : '';
    if (kind === 'dm-in') {
      item.append(span('tag', 'DM'), span('who', `${star}${from} → you`));
    } else if (kind === 'dm-out') {
      item.append(span('tag', 'DM'), span('who', `${star}you → ${to}`));
    } else {
      item.append(span('who', `${star}${from}`));
    }
    item.append(span('text', action ? text.slice(ACTION.length) : text));
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
    item.classList.remove('unconfirmed');
    item.classList.add('failed');
    item.dataset.failed = code;
    item.append(span('failed-reason', `Not sent: ${errorText(code)}`));
  }

  // At the end of `feed`, or before `before` (a message that arrived late, in its place).
  function append(feed, item, before = null) {
    const atBottom = feed.scrollHeight - feed.scrollTop - feed.clientHeight < 40;
    if (before) before.before(item);
    else feed.append(item);
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
      if (state.ids) return showHistory(feed, items, '');  // each in the place its id says
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

  // ---- message ids (PROTOCOL.md, Message ids): each message once, in order ---------------

  // "<id> <unix-ms> rest" when the server gives ids: [{ id, when }, rest]; else [{}, text].
  // A message not kept has the id "-": no id, but its time.
  function stamped(text) {
    if (!state.ids) return [{}, text];
    const [id, tail] = split1(text);
    const [ms, rest] = split1(tail);
    const when = new Date(Number(ms));
    return [{ id: id === '-' ? '' : id, when: Number.isFinite(when.getTime()) ? when : new Date() }, rest];
  }

  // The order of two ids of one history (-1, 0, 1), or null for ids of two histories
  // (the server's history was started anew: its epoch changed).
  function compareIds(a, b) {
    const [ea, na] = [a.slice(0, a.lastIndexOf('-')), a.slice(a.lastIndexOf('-') + 1)];
    const [eb, nb] = [b.slice(0, b.lastIndexOf('-')), b.slice(b.lastIndexOf('-') + 1)];
    if (ea !== eb) return null;
    if (na.length !== nb.length) return na.length < nb.length ? -1 : 1;  // no leading zeros
    return na < nb ? -1 : na > nb ? 1 : 0;
  }

  // The newest id a feed holds: where it resumes from.
  function noteId(feed, id) {
    const last = feed.dataset.lastId;
    const order = last ? compareIds(last, id) : null;
    if (!last || order === null || order < 0) feed.dataset.lastId = id;
  }

  // Puts an entry with an id after the latest one with a smaller id: a message replayed
  // after a reconnect goes where it was said, not after what came live meanwhile.
  function place(feed, item, id) {
    let before = null;
    for (let node = feed.lastElementChild; node; node = node.previousElementSibling) {
      if (!node.dataset.id) continue;
      const order = compareIds(node.dataset.id, id);
      if (order === null || order < 0) break;
      before = node;
    }
    noteId(feed, id);
    append(feed, item, before);
  }

  // One of our own messages, told back by the server (echo, or history after a
  // reconnect): it confirms what the page showed when it was sent, rather than showing
  // it twice. Live echoes come in the order sent; a replay is matched by its text.
  function confirmOwn(feed, entry) {
    const waiting = [...feed.querySelectorAll('.entry.own.unconfirmed')]
      .filter((item) => item.dataset.kind === entry.kind);
    const item = entry.history ? waiting.find((i) => i.dataset.text === entry.text) : waiting[0];
    if (!item) return false;
    item.classList.remove('unconfirmed');
    delete item.dataset.sentOn;
    if (entry.id) {
      item.dataset.id = entry.id;
      noteId(feed, entry.id);
    }
    return true;
  }

  // A message for `feed`: shown once, however many ways it came (live, echo, replay).
  function received(feed, entry) {
    const own = state.me !== null && key(entry.from) === key(state.me);
    if (entry.id && feed.querySelector(`[data-id="${entry.id}"]`)) return;
    if (own && confirmOwn(feed, entry)) return;
    const item = makeEntry({ ...entry, own });
    if (entry.id) place(feed, item, entry.id);
    else append(feed, item);
  }

  function receivedDm(from, to, text, stamp, history = false) {
    const own = state.me !== null && key(from) === key(state.me);
    const other = own ? to : from;
    if (other) state.dmPartners.add(key(other));
    received(ui.feed, { kind: own ? 'dm-out' : 'dm-in', from, to, text, history, ...stamp });
  }

  // HIST lines (without their verb) into `feed`, each in its place; `gap` from a GAP line.
  function showHistory(feed, items, gap) {
    for (const line of items) {  // "<scope> [<id>] <unix-ms> <from> <text>"
      const [scope, tail] = split1(line);
      const [stamp, after] = state.ids ? stamped(tail) : [{}, tail];
      const [from, text] = split1(after);
      if (scope.startsWith('@')) {
        receivedDm(from, scope.slice(1), text, stamp, true);
      } else {
        received(feed, { kind: feed === ui.feed ? 'msg' : 'say', from, text, history: true, ...stamp });
      }
    }
    if (gap === 'expired' || gap === 'reset') {
      notice(feed, 'Some messages from while you were away are no longer kept on the server.', 'error');
    } else if (gap === 'more') {
      notice(feed, 'More was said while you were away than is shown here.', 'info');
    }
    feed.scrollTop = feed.scrollHeight;
  }

  // What was sent on an earlier connection and never came back: it did not reach the
  // server before the connection dropped (the replay would have brought it back).
  function settleUnsent(feed) {
    for (const item of feed.querySelectorAll('.entry.own.unconfirmed')) {
      if (Number(item.dataset.sentOn) < state.connection) markFailed(item, 'connection-lost');
    }
  }

  // Back in a room after a reconnect: with ids, what was said meanwhile comes with the
  // JOIN (JOIN <room> SINCE <id>), nothing missed between it and the live messages.
  function rejoin(room) {
    const onError = (code) => notice(room.feed, `Could not rejoin ${room.name}: ${errorText(code)}`, 'error');
    const last = room.feed.dataset.lastId;
    if (!state.ids || !last) {
      sendOk(`JOIN ${room.name}`, () => {}, onError);
      return;
    }
    const replay = { item: 'HIST', items: [], onError: () => {},
                     onDone: (items, more, gap) => { showHistory(room.feed, items, gap); settleUnsent(room.feed); } };
    send(`JOIN ${room.name} SINCE ${last}`, { ok: true, onOk: () => {}, onError, then: replay });
  }

  // The public feed and our DMs after a reconnect: what was stored after the newest
  // message the feed holds, a page at a time.
  function resumeFeed() {
    const last = ui.feed.dataset.lastId;
    if (!state.ids || !last) return;
    const targets = ['*', ...[...state.dmPartners].map((name) => `@${name}`)];
    const next = (target, after, rest) => {
      sendList(`HISTORY ${target} AFTER ${after} ${RESUME_COUNT}`, 'HIST', (items, more, gap) => {
        showHistory(ui.feed, items, gap);
        if (items.length === RESUME_COUNT) return next(target, split1(split1(items[items.length - 1])[1])[0], rest);
        if (rest.length > 0) return next(rest[0], last, rest.slice(1));
        settleUnsent(ui.feed);
      }, () => {});
    };
    next(targets[0], last, targets.slice(1));
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

  // "INFO <old> renamed <new>", or our own RENAME's OK.
  function renamed(old, now) {
    state.users.delete(key(old));
    state.users.set(key(now), now);
    if (state.me && key(old) === key(state.me)) {
      state.me = now;
      if (state.wanted && state.wanted.kind === 'guest') state.wanted.name = now;  // to log back in
      document.title = `${now} — socketchat`;
      setStatus('online', `connected as ${now}`);
      notice(ui.feed, `You are now known as ${now}.`, 'info');
    } else {
      if (state.dmTarget && key(state.dmTarget) === key(old)) setDmTarget(now);
      notice(ui.feed, `${old} is now known as ${now}.`, 'info');
    }
    renderUsers();
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

  function joinRoom(name, roomKey = '') {
    const k = key(name);
    if (state.rooms.has(k)) {
      activate(k);
      return;
    }
    sendOk(`JOIN ${name}${roomKey ? ` ${roomKey}` : ''}`, () => {
      const listed = state.roomList.find(([n]) => key(n) === k);
      const room = addRoom(listed ? listed[0] : name);
      const joined = notice(room.feed, `You joined ${room.name}.`, 'info');
      send(`TOPIC ${room.name}`, { expect: 'TOPIC', onReply: (rest) => showTopic(rest, false), onError: () => {} });
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
    for (const [name, members, topic] of state.roomList) names.set(key(name), { name, members, topic });
    for (const [k, room] of state.rooms) if (!names.has(k)) names.set(k, { name: room.name, members: '' });
    const items = [...names.values()].sort((a, b) => byName(a.name, b.name)).map(({ name, members, topic }) => {
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
      button.title = (joined ? `Show ${name}` : `Join ${name}`) + (topic ? `: ${topic}` : '');
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
    '/dm name text: a direct message.  /me text: an action, shown in italics.',
    '/join room [key], /part [room]: rooms.  /who: refresh the list.  /nick name: a new name.',
    'In a room: /topic [text], /mode +o name (o v t n m i k l b), /invite name, /kick name [reason].',
    'Esc stops sending direct messages.',
  ];

  function sendMessage(raw) {
    const text = raw.trim();
    if (!text) return true;
    if (!state.me) {
      notice(currentFeed(), 'Not connected: the message was not sent.', 'error');
      return false;
    }
    // "/me waves" is an action: sent as it is (PROTOCOL.md), everyone else's client shows it so.
    const action = /^\/me\s+(\S.*)$/i.exec(text);
    if (!action && text.startsWith('/') && !text.startsWith('//')) return runCommand(text);
    const body = action ? `/me ${action[1]}` : text.startsWith('//') ? text.slice(1) : text;
    if (state.dmTarget) return sendDm(state.dmTarget, body);
    if (state.active) {
      const room = state.rooms.get(state.active);
      const item = ownEntry(room.feed, { kind: 'say', from: state.me, text: body });
      return sendSilent(`SAY ${room.name} ${body}`, (code) => markFailed(item, code));
    }
    const item = ownEntry(ui.feed, { kind: 'msg', from: state.me, text: body });
    return sendSilent(`MSG ${body}`, (code) => markFailed(item, code));
  }

  // What we send shows at once; with ids it waits for the server to tell it back (echo),
  // which gives it its id.
  function ownEntry(feed, fields) {
    const item = addEntry(feed, { ...fields, own: true });
    if (state.ids) {
      item.classList.add('unconfirmed');
      item.dataset.text = fields.text;
      item.dataset.sentOn = String(state.connection);
    }
    return item;
  }

  function sendDm(to, text) {
    if (!text.trim()) return true;
    if (state.me && key(to) === key(state.me)) {
      notice(ui.feed, 'You cannot send a direct message to yourself.', 'error');
      return false;
    }
    if (state.active) activate('');
    state.dmPartners.add(key(to));
    const item = ownEntry(ui.feed, { kind: 'dm-out', to, text });
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
        joinRoom(arg, tail.trim());
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
      case 'topic':
      case 'mode':
      case 'invite':
      case 'kick': {  // of the room being looked at
        const room = state.active && state.rooms.get(state.active);
        if (!room || (command !== 'topic' && !arg)) {
          notice(currentFeed(), `Usage, in a room: /${command} ${command === 'topic' ? '[text]' : command === 'mode' ? '+o name' : 'name'}`, 'error');
          return false;
        }
        const line = command === 'invite' ? `INVITE ${room.name} ${arg}` :
          `${command.toUpperCase()} ${room.name}${rest.trim() ? ` ${rest.trim()}` : ''}`;
        if (command === 'mode' && /^\+?b$/.test(rest.trim())) {  // the ban list
          return sendList(`MODE ${room.name} b`, 'BAN', (items) => {
            notice(room.feed, items.length ? `Banned from ${room.name}: ${items.map((i) => split1(i)[1]).join(', ')}`
              : `Nobody is banned from ${room.name}.`, 'info');
          });
        }
        if (command === 'topic' && !rest.trim()) {
          return send(line, { expect: 'TOPIC', onReply: (r) => showTopic(r, false),
                              onError: (code) => notice(currentFeed(), errorText(code), 'error') });
        }
        return sendOk(line, () => {
          if (command === 'invite') notice(room.feed, `You invited ${arg} to ${room.name}.`, 'info');
        }, (code) => notice(currentFeed(), errorText(code), 'error'));
      }
      case 'nick':
        if (!arg) {
          notice(currentFeed(), 'Usage: /nick name', 'error');
          return false;
        }
        return sendOk(`RENAME ${arg}`, () => renamed(state.me, arg),
                      (code) => notice(currentFeed(), errorText(code), 'error'));
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

  // A session token from an earlier visit logs straight back in; without one, the form.
  const token = storedToken();
  if (token) {
    state.wanted = { kind: 'token', token };
    state.resuming = true;
    ui.loginForm.hidden = true;
    ui.resuming.hidden = false;
    connect();
  } else {
    ui.name.focus();
  }
})();

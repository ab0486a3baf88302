// The built-in browser client end to end: the real socketchatd serves the page and the
// line protocol over WebSocket; two headless Chromium pages (alice, bob) and one raw TCP
// client (carol, as a person with ncat would) chat with each other as guests. Then, on a
// daemon of its own, dave registers in the page, is logged back in by his session token
// after a reload and a restart of the daemon, logs out and in with his password, and the
// refusals (a wrong password, a guest taking his name, a token the server does not know)
// are shown in words; the password is never kept by the page. Last, the page on one
// node of a cluster and a raw TCP client on another chat as one server.
//
//   node --test tests/browser/chat.spec.mjs            (SOCKETCHATD=path/to/socketchatd)
//   node tests/browser/chat.spec.mjs path/to/socketchatd
//
// Environment: SOCKETCHATD (the daemon, when not given as an argument), CHROMIUM (default
// /usr/bin/chromium), OUT_DIR (where the screenshot goes; default build).
// Every wait is bounded; nothing sleeps for a fixed time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(here, '../../web');
const daemonPath = process.argv[2] || process.env.SOCKETCHATD;
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const outDir = path.resolve(process.env.OUT_DIR || 'build');

const WAIT = 10_000;            // one step of the chat: a message, a list update
const START_WAIT = 15_000;      // the daemon printing its ports, Chromium starting
const RECONNECT_WAIT = 30_000;  // the page's backoff tops out at 15 s (with jitter)

// ---- lines from a stream (the daemon's stderr, carol's socket), awaited with a deadline --

class Lines {
  constructor(stream, label) {
    this.label = label;
    this.all = [];
    this.closed = false;
    this.waiters = new Set();
    const reader = createInterface({ input: stream, crlfDelay: Infinity });
    reader.on('line', (line) => {
      this.all.push(line);
      this.#wake();
    });
    reader.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  // The first line (seen so far or to come) that matches; rejects after `timeout` ms.
  waitFor(pattern, what, timeout = WAIT) {
    const matches = typeof pattern === 'string' ? (l) => l === pattern : (l) => pattern.test(l);
    return new Promise((resolve, reject) => {
      const waiter = {
        check: () => {
          const line = this.all.find(matches);
          if (line !== undefined) return finish(() => resolve(line));
          if (this.closed) return finish(() => reject(this.#error(`${what}: the stream ended first`)));
        },
      };
      const timer = setTimeout(() => finish(() => reject(this.#error(`${what}: not within ${timeout} ms`))), timeout);
      const finish = (settle) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        settle();
      };
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  #wake() {
    for (const waiter of [...this.waiters]) waiter.check();
  }

  #error(message) {
    return new Error(`${this.label}: ${message}\nlast lines:\n  ${this.all.slice(-20).join('\n  ')}`);
  }
}

// ---- the daemon ----------------------------------------------------------------------------

const daemons = [];
const dataDirs = [];

// Each daemon keeps its accounts in a data directory of the test's own (`dataDir`: the
// same one again for a restart), never in the working directory.
function newDataDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socketchat-data-'));
  dataDirs.push(dir);
  return dir;
}

async function startDaemon(listen, dataDir = newDataDir(), extra = []) {
  const history = extra.includes('--history') ? [] : ['--history', 'memory'];
  const args = listen.flatMap((url) => ['--listen', url])
    .concat(history, ['--data-dir', dataDir], extra);
  const child = spawn(daemonPath, args, { stdio: ['ignore', 'inherit', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const log = new Lines(child.stderr, 'socketchatd stderr');
  const daemon = { child, exited, log, ports: {}, dataDir };
  daemons.push(daemon);
  let spawnError = null;
  child.once('error', (error) => { spawnError = error; });
  for (const scheme of new Set(listen.map((url) => url.split(':')[0]))) {
    const pattern = new RegExp(`^socketchatd \\S+ listening on ${scheme}://127\\.0\\.0\\.1:(\\d+)$`);
    try {
      const line = await log.waitFor(pattern, `waiting for the ${scheme} listener`, START_WAIT);
      daemon.ports[scheme] = Number(line.match(pattern)[1]);
    } catch (error) {
      if (spawnError) throw new Error(`cannot run ${daemonPath}: ${spawnError.message}`);
      const status = child.exitCode !== null ? ` (it exited with status ${child.exitCode})` : '';
      throw new Error(`socketchatd ${args.join(' ')}${status}: ${error.message}`);
    }
  }
  return daemon;
}

async function stopDaemon(daemon, timeout = WAIT) {
  daemon.child.kill('SIGTERM');
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`socketchatd did not exit within ${timeout} ms of SIGTERM`)), timeout);
  });
  try {
    return await Promise.race([daemon.exited, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- a redis-server of the test's own, for the cluster (docs/CLUSTER.md) ------------------

const redisServers = [];

async function freePort() {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

// Debian's redis-server with the bundled configuration, on a free loopback port and in
// a directory of its own; stopped by its PID in after().
async function startRedis() {
  const dir = newDataDir();
  const port = await freePort();
  const child = spawn('/usr/bin/redis-server',
                      [path.resolve(here, '../../packaging/redis.conf'), '--port', String(port),
                       '--bind', '127.0.0.1', '--dir', dir, '--logfile', '', '--daemonize', 'no'],
                      { stdio: ['ignore', 'pipe', 'inherit'], cwd: dir });
  redisServers.push(child);
  const log = new Lines(child.stdout, 'redis-server');
  await log.waitFor(/Ready to accept connections/, 'redis-server starting', START_WAIT);
  return { child, url: `redis://127.0.0.1:${port}` };
}

// ---- carol: a raw TCP client ---------------------------------------------------------------

async function tcpClient(port, label) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});  // the end of the stream is what the test looks at
  socket.setEncoding('utf8');
  const lines = new Lines(socket, label);
  return {
    socket,
    lines,
    send: (line) => socket.write(`${line}\n`),
  };
}

// ---- the browser ---------------------------------------------------------------------------

let context;
let userDataDir;
const pageErrors = [];
const consoleLines = [];  // everything every page wrote to its console

async function openPage(url, label) {
  const page = context.pages().find((p) => p.url() === 'about:blank') || await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`${label}: ${error.message}`));
  page.on('console', (message) => {
    consoleLines.push(`${label}: ${message.text()}`);
    if (message.type() === 'warning' || message.type() === 'error') {
      console.log(`${label} console ${message.type()}: ${message.text()}`);
    }
  });
  await page.goto(url, { timeout: WAIT });
  return page;
}

const feedEntry = (page, selector, text) =>
  page.locator(`#feed ${selector}`).filter({ hasText: text }).first();

async function seen(locator, timeout = WAIT) {
  await locator.waitFor({ state: 'visible', timeout });
}

async function loginAs(page, name) {
  await page.locator('#name').fill(name);
  await page.locator('#guest').click();
}

// `action`: login or register, with the password typed into the form.
async function withPassword(page, action, name, password) {
  await page.locator('#name').fill(name);
  await page.locator('#password').fill(password);
  await page.locator(`#${action}`).click();
}

async function online(page, name, timeout = WAIT) {
  await seen(page.locator('#status[data-state="online"]').filter({ hasText: `connected as ${name}` }), timeout);
}

// ---- the scenario --------------------------------------------------------------------------

let daemon;
let alice;
let bob;
let carol;
let dave;   // the page of a registered user
let olga;   // a raw TCP client watching what dave sends
// After a failed step the rest of its scenario would only time out: they are skipped.
const broken = new Set();
let scenario = 'guests';

function step(name, body) {
  const mine = scenario;
  test(name, async (t) => {
    if (broken.has(mine)) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await body(t);
    } catch (error) {
      broken.add(mine);
      throw error;
    }
  });
}

before(async () => {
  assert.ok(daemonPath, 'give the socketchatd binary as the first argument or in SOCKETCHATD');
  assert.ok(fs.existsSync(chromiumPath), `no Chromium at ${chromiumPath} (apt-get install chromium)`);
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socketchat-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    timeout: START_WAIT,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  for (const client of [carol, olga]) if (client) client.socket.destroy();
  if (context) await context.close().catch(() => {});
  for (const d of daemons) {
    if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  }
  for (const redis of redisServers) {
    if (redis.exitCode === null && redis.signalCode === null) redis.kill('SIGKILL');
  }
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

step('socketchatd listens on TCP and WebSocket ports', async () => {
  daemon = await startDaemon(['tcp://127.0.0.1:0', 'ws://127.0.0.1:0']);
  assert.ok(daemon.ports.tcp > 0 && daemon.ports.ws > 0);
});

step('the page, its script and its style are served as they are in web/', async () => {
  const assets = [
    ['/', 'index.html', 'text/html; charset=utf-8'],
    ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
    ['/style.css', 'style.css', 'text/css; charset=utf-8'],
  ];
  for (const [urlPath, file, type] of assets) {
    const response = await fetch(`http://127.0.0.1:${daemon.ports.ws}${urlPath}`,
                                 { signal: AbortSignal.timeout(WAIT) });
    assert.equal(response.status, 200, urlPath);
    assert.equal(response.headers.get('content-type'), type, urlPath);
    assert.equal(await response.text(), fs.readFileSync(path.join(webDir, file), 'utf8'), urlPath);
  }
});

step('alice logs in and lands in the message box', async () => {
  alice = await openPage(`http://127.0.0.1:${daemon.ports.ws}/`, 'alice');
  assert.equal(await alice.title(), 'socketchat');
  await loginAs(alice, 'alice');
  await online(alice, 'alice');
  await seen(alice.locator('#users [data-user="alice"]'));
  assert.equal(await alice.evaluate(() => document.activeElement && document.activeElement.id), 'message');
});

step('refused names are explained in plain words, then bob logs in', async () => {
  bob = await openPage(`http://127.0.0.1:${daemon.ports.ws}/`, 'bob');
  await loginAs(bob, 'bad!name');
  await seen(bob.locator('#login-error').filter({ hasText: 'not allowed' }));
  await loginAs(bob, 'ALICE');  // names are unique without regard to case
  await seen(bob.locator('#login-error').filter({ hasText: 'already taken' }));
  await loginAs(bob, 'bob');
  await online(bob, 'bob');
  assert.equal(await bob.locator('#login-error').textContent(), '');
});

step('carol logs in over raw TCP', async () => {
  carol = await tcpClient(daemon.ports.tcp, 'carol');
  carol.send('LOGIN carol');
  await carol.lines.waitFor('OK', 'carol LOGIN');
});

step('alice sends a message with Enter: bob and carol receive it', async () => {
  await alice.locator('#message').fill('hello from alice');
  await alice.locator('#message').press('Enter');
  await seen(feedEntry(bob, '[data-kind="msg"][data-from="alice"]', 'hello from alice'));
  await carol.lines.waitFor('MSG alice hello from alice', 'carol receiving alice\'s MSG');
  await seen(feedEntry(alice, '[data-kind="msg"].own', 'hello from alice'));
  assert.equal(await alice.locator('#message').inputValue(), '');
});

step('carol (ncat) sends a message: both pages show it', async () => {
  carol.send('MSG hi from ncat');
  for (const page of [alice, bob]) {
    await seen(feedEntry(page, '[data-kind="msg"][data-from="carol"]', 'hi from ncat'));
  }
});

step('/me is an action: ncat gets "/me ...", the pages show it in italics, both ways', async () => {
  await alice.locator('#message').fill('/me waves hello');
  await alice.locator('#message').press('Enter');
  await carol.lines.waitFor('MSG alice /me waves hello', 'carol receiving alice\'s action');
  carol.send('MSG /me nods');
  for (const [page, from, text] of [[bob, 'alice', 'waves hello'], [alice, 'carol', 'nods'],
                                    [bob, 'carol', 'nods']]) {
    const entry = feedEntry(page, `[data-kind="msg"][data-from="${from}"][data-action="true"]`, text);
    await seen(entry);
    assert.equal(await entry.locator('.text').textContent(), text);
    assert.equal(await entry.locator('.who').textContent(), `* ${from}`);
    assert.equal(await entry.locator('.text').evaluate((e) => getComputedStyle(e).fontStyle), 'italic');
  }
});

step('bob DMs alice by clicking her name: alice sees a DM, bob sees it sent', async () => {
  await bob.locator('#users [data-user="alice"] button').click();
  await seen(bob.locator('#dm-target').filter({ hasText: 'alice' }));
  await bob.locator('#message').fill('psst, alice');
  await bob.locator('#send').click();
  await seen(feedEntry(alice, '[data-kind="dm-in"][data-from="bob"]', 'psst, alice'));
  await seen(feedEntry(bob, '[data-kind="dm-out"][data-to="alice"]', 'psst, alice'));
  await bob.locator('#dm-clear').click();
  await bob.locator('#dm-target').waitFor({ state: 'hidden', timeout: WAIT });
});

step('/dm from the page and DM from ncat both arrive as DMs', async () => {
  await alice.locator('#message').fill('/dm carol hi carol, just you');
  await alice.locator('#message').press('Enter');
  await carol.lines.waitFor('DM alice hi carol, just you', 'carol receiving alice\'s DM');
  await seen(feedEntry(alice, '[data-kind="dm-out"][data-to="carol"]', 'hi carol, just you'));
  carol.send('DM bob yo bob');
  await seen(feedEntry(bob, '[data-kind="dm-in"][data-from="carol"]', 'yo bob'));
});

step('a DM to nobody is marked as not sent', async () => {
  await bob.locator('#message').fill('/dm nobody are you there');
  await bob.locator('#message').press('Enter');
  await seen(feedEntry(bob, '[data-kind="dm-out"][data-to="nobody"].failed', 'is not online'));
});

step('text from the network is shown as text, never as markup', async () => {
  carol.send('MSG <img src=x onerror="window.__owned=1"><b>bold?</b> & more');
  for (const page of [alice, bob]) {
    const entry = feedEntry(page, '[data-kind="msg"][data-from="carol"]', '<b>bold?</b>');
    await seen(entry);
    assert.equal(await entry.locator('.text').textContent(), '<img src=x onerror="window.__owned=1"><b>bold?</b> & more');
    assert.equal(await page.locator('#feed img, #feed b').count(), 0);
    assert.equal(await page.evaluate(() => window.__owned), undefined);
  }
});

step('both pages list all three users', async () => {
  for (const page of [alice, bob]) {
    for (const name of ['alice', 'bob', 'carol']) await seen(page.locator(`#users [data-user="${name}"]`));
  }
  // The DMs went only where they were sent: carol never saw bob's DM to alice.
  assert.ok(!carol.lines.all.some((line) => line.includes('psst')), 'carol received a DM meant for alice');
});

step('bob renames himself with /nick: alice\'s page and ncat are told, and DMs follow the name', async () => {
  await bob.locator('#message').fill('/nick bobby');
  await bob.locator('#message').press('Enter');
  await carol.lines.waitFor('INFO bob renamed bobby', 'carol told of the rename');
  await seen(alice.locator('#feed [data-kind="info"]').filter({ hasText: 'bob is now known as bobby' }));
  await seen(bob.locator('#feed [data-kind="info"]').filter({ hasText: 'You are now known as bobby' }));
  for (const page of [alice, bob]) {
    await seen(page.locator('#users [data-user="bobby"]'));
    await page.locator('#users [data-user="bob"]').waitFor({ state: 'detached', timeout: WAIT });
  }
  carol.send('DM bobby still you?');
  await seen(feedEntry(bob, '[data-kind="dm-in"][data-from="carol"]', 'still you?'));
});

step('alice makes a room and runs it: /topic and /mode reach the other page and ncat', async () => {
  await alice.locator('#message').fill('/join lounge');
  await alice.locator('#message').press('Enter');
  await seen(alice.locator('#room-lounge [data-kind="info"]').filter({ hasText: 'You joined lounge.' }));
  carol.send('JOIN lounge');
  await seen(alice.locator('#room-lounge [data-kind="info"]').filter({ hasText: 'carol joined lounge.' }));
  const since = Date.now();
  await alice.locator('#message').fill('/topic tea at five');
  await alice.locator('#message').press('Enter');  // alice made the room: its operator
  const topic = await carol.lines.waitFor(/^TOPIC lounge alice (\d+) tea at five$/, 'carol told of the topic');
  const at = Number(topic.match(/(\d+)/)[1]);
  assert.ok(at >= since - 1000 && at <= Date.now() + 1000, `the topic's time ${at}`);
  await seen(alice.locator('#room-lounge [data-kind="info"]').filter({ hasText: 'alice set the topic of lounge: tea at five' }));
  // A later joiner's page shows the topic the room has.
  await bob.locator('#message').fill('/join lounge');
  await bob.locator('#message').press('Enter');
  await seen(bob.locator('#room-lounge [data-kind="info"]').filter({ hasText: 'Topic of lounge: tea at five (set by alice)' }));
  await alice.locator('#message').fill('/mode +m');
  await alice.locator('#message').press('Enter');
  await carol.lines.waitFor('MODE lounge alice +m', 'carol told of +m');
  await seen(bob.locator('#room-lounge [data-kind="info"]').filter({ hasText: 'alice set mode +m on lounge.' }));
  await bob.locator('#message').fill('/topic mine now');  // not its operator, the topic locked
  await bob.locator('#message').press('Enter');
  await seen(bob.locator('#room-lounge [data-kind="error"]').filter({ hasText: 'Only the room\'s operators' }));
  carol.send('ROOMS');
  await carol.lines.waitFor('ROOM lounge 3 tea at five', 'the topic in ROOMS');
  // A kick: the kicked page leaves the room and says why, the others are told.
  await alice.locator('#message').fill('/kick bobby too quiet');
  await alice.locator('#message').press('Enter');
  await carol.lines.waitFor('KICK lounge bobby alice too quiet', 'carol told of the kick');
  await seen(alice.locator('#room-lounge [data-kind="info"]').filter({ hasText: 'alice removed bobby from lounge: too quiet' }));
  await seen(bob.locator('#feed [data-kind="error"]').filter({ hasText: 'alice removed you from lounge: too quiet' }));
  await bob.locator('#room-lounge').waitFor({ state: 'detached', timeout: WAIT });
  await alice.locator('#tabs [data-tab=""]').click();  // back to Everyone
});

step('carol\'s connection ends: both pages drop her from the list', async () => {
  carol.socket.destroy();
  for (const page of [alice, bob]) {
    await page.locator('#users [data-user="carol"]').waitFor({ state: 'detached', timeout: WAIT });
    await seen(page.locator('#feed [data-kind="info"]').filter({ hasText: 'carol disconnected' }));
    await seen(page.locator('#users [data-user="alice"]'));
    await seen(page.locator('#users [data-user="bobby"]'));
  }
});

step('SIGTERM: the daemon says goodbye, exits 0, and both pages show they are disconnected', async () => {
  const { code, signal } = await stopDaemon(daemon);
  assert.equal(signal, null, `socketchatd died of ${signal}`);
  assert.equal(code, 0);
  for (const page of [alice, bob]) {
    await seen(page.locator('#status[data-state="reconnecting"]').filter({ hasText: 'disconnected — reconnecting' }));
    await seen(page.locator('#feed [data-kind="server"]').filter({ hasText: 'server shutting down' }));
  }
  fs.mkdirSync(outDir, { recursive: true });
  const shot = path.join(outDir, 'browser-chat.png');
  await alice.screenshot({ path: shot, timeout: WAIT });
  console.log(`screenshot of alice's page: ${shot}`);
});

step('the daemon comes back on the same port: both pages log in again by themselves', async () => {
  daemon = await startDaemon([`ws://127.0.0.1:${daemon.ports.ws}`], daemon.dataDir);
  await online(alice, 'alice', RECONNECT_WAIT);
  await online(bob, 'bobby', RECONNECT_WAIT);  // under the name it took
  for (const page of [alice, bob]) await seen(page.locator('#feed [data-kind="back"]'));
  await alice.locator('#message').fill('back again');
  await alice.locator('#message').press('Enter');
  await seen(feedEntry(bob, '[data-kind="msg"][data-from="alice"]', 'back again'));
  const { code } = await stopDaemon(daemon);
  assert.equal(code, 0);
});

step('a guest keeps no session token', async () => {
  for (const page of [alice, bob]) {
    assert.equal(await page.evaluate(() => localStorage.getItem('socketchat.token')), null);
    await page.close();  // done with this daemon: no reconnecting to it later
  }
});

// ---- accounts: register, the session token, log out and in, refusals in words ------------

scenario = 'accounts';

const PASSWORD = 'Tr0ub4dor-and-3';
const TOKEN_KEY = 'socketchat.token';
const storedToken = (page) => page.evaluate((k) => localStorage.getItem(k), TOKEN_KEY);

// The password is nowhere in the page: not in a field, the markup, the address or storage.
async function passwordKeptNowhere(page) {
  const found = await page.evaluate((secret) => {
    const places = [];
    for (const input of document.querySelectorAll('input')) {
      if (input.value.includes(secret)) places.push(`#${input.id}`);
    }
    if (document.documentElement.outerHTML.includes(secret)) places.push('the markup');
    if (location.href.includes(secret)) places.push('the address');
    for (const store of [localStorage, sessionStorage]) {
      for (let i = 0; i < store.length; i += 1) {
        const k = store.key(i);
        if (k.includes(secret) || store.getItem(k).includes(secret)) places.push(`storage ${k}`);
      }
    }
    return places;
  }, PASSWORD);
  assert.deepEqual(found, [], 'the password was kept');
}

async function tokenStored(page) {
  await page.waitForFunction((k) => localStorage.getItem(k), TOKEN_KEY, { timeout: WAIT });
  const token = await storedToken(page);
  assert.ok(token.length > 0 && !token.includes(PASSWORD));
  return token;
}

async function loginError(page, text) {
  await seen(page.locator('#login-form'));
  await seen(page.locator('#login-error').filter({ hasText: text }));
  assert.equal(await page.locator('#password').inputValue(), '');
}

async function logOut(page) {
  await page.locator('#logout').click();
  await seen(page.locator('#login-form'));
  assert.equal(await page.locator('#chat-view').isHidden(), true);
  assert.equal(await storedToken(page), null);
}

async function says(page, text, from = 'dave') {
  await page.locator('#message').fill(text);
  await page.locator('#message').press('Enter');
  await olga.lines.waitFor(`MSG ${from} ${text}`, `olga receiving ${from}'s MSG`);
}

const tokensSeen = new Set();

step('every error code the server answers has a sentence in the page', async () => {
  const codes = [...fs.readFileSync(path.resolve(here, '../../lib/protocol/reply_error.cpp'), 'utf8')
    .matchAll(/return "([a-z0-9-]+)";/g)].map((m) => m[1]);
  assert.ok(codes.includes('password-required') && codes.includes('bad-token'), 'no codes found');
  const app = fs.readFileSync(path.join(webDir, 'app.js'), 'utf8');
  const missing = codes.filter((code) => !app.includes(`'${code}': '`));
  assert.deepEqual(missing, [], 'codes without a sentence in web/app.js');
});

step('a daemon with accounts (in its own data directory) and olga on raw TCP', async () => {
  daemon = await startDaemon(['tcp://127.0.0.1:0', 'ws://127.0.0.1:0']);
  olga = await tcpClient(daemon.ports.tcp, 'olga');
  olga.send('LOGIN olga');
  await olga.lines.waitFor('OK', 'olga LOGIN');
});

step('dave registers in the page: he chats, the page keeps a token and not the password', async () => {
  dave = await openPage(`http://127.0.0.1:${daemon.ports.ws}/`, 'dave');
  assert.equal(await storedToken(dave), null);
  await seen(dave.locator('#login-form'));
  await withPassword(dave, 'register', 'dave', PASSWORD);
  await online(dave, 'dave');
  await says(dave, 'hello, I have an account now');
  tokensSeen.add(await tokenStored(dave));
  await passwordKeptNowhere(dave);
});

step('a reload logs dave back in by his token, without typing', async () => {
  await dave.reload({ timeout: WAIT });
  await online(dave, 'dave', RECONNECT_WAIT);
  assert.equal(await dave.locator('#login-view').isHidden(), true);
  assert.equal(await dave.locator('#name').inputValue(), '');
  await says(dave, 'back after a reload');
  tokensSeen.add(await tokenStored(dave));
  await passwordKeptNowhere(dave);
});

step('Log out forgets the token and shows the form', async () => {
  await logOut(dave);
  await olga.lines.waitFor('INFO dave disconnected', 'olga seeing dave leave');
  await dave.reload({ timeout: WAIT });  // and nobody is logged back in
  await seen(dave.locator('#login-form'));
  await seen(dave.locator('#status').filter({ hasText: 'not connected' }));
});

step('dave logs in with his password', async () => {
  await withPassword(dave, 'login', 'dave', PASSWORD);
  await online(dave, 'dave');
  await says(dave, 'logged in by hand');
  tokensSeen.add(await tokenStored(dave));
  await passwordKeptNowhere(dave);
});

step('the daemon restarts on the same port: dave\'s page logs in again by the token', async () => {
  const { code } = await stopDaemon(daemon);
  assert.equal(code, 0);
  olga.socket.destroy();
  await seen(dave.locator('#status[data-state="reconnecting"]'));
  daemon = await startDaemon(['tcp://127.0.0.1:0', `ws://127.0.0.1:${daemon.ports.ws}`], daemon.dataDir);
  olga = await tcpClient(daemon.ports.tcp, 'olga');
  olga.send('LOGIN olga');
  await olga.lines.waitFor('OK', 'olga LOGIN');
  await online(dave, 'dave', RECONNECT_WAIT);
  await seen(dave.locator('#feed [data-kind="back"]'));
  await says(dave, 'still me after the restart');
});

step('a wrong password is refused in words', async () => {
  await logOut(dave);
  await withPassword(dave, 'login', 'dave', 'not-his-password');
  await loginError(dave, 'Wrong name or password.');
  assert.equal(await storedToken(dave), null);
});

step('a guest asking for the registered name is told it needs its password', async () => {
  await dave.locator('#name').fill('dave');
  await dave.locator('#guest').click();
  await loginError(dave, 'This name is registered: enter its password');
  // Enter with no password joins as a guest, so is refused the same way.
  await dave.evaluate(() => { document.getElementById('login-error').textContent = ''; });
  await dave.locator('#name').press('Enter');
  await loginError(dave, 'This name is registered: enter its password');
});

step('a token the server does not know is forgotten, and the form is shown', async () => {
  await dave.evaluate((k) => localStorage.setItem(k, 'not-a-token'), TOKEN_KEY);
  await dave.reload({ timeout: WAIT });
  await loginError(dave, 'Your session has ended: log in again.');
  assert.equal(await storedToken(dave), null);
});

step('a guest still chats as before, and keeps no token', async () => {
  await loginAs(dave, 'erin');
  await online(dave, 'erin');
  await says(dave, 'just visiting', 'erin');
  assert.equal(await storedToken(dave), null);
  await dave.reload({ timeout: WAIT });
  await seen(dave.locator('#login-form'));
  const { code } = await stopDaemon(daemon);
  assert.equal(code, 0);
});

step('no password and no token reached a log or a console', async () => {
  assert.ok(tokensSeen.size > 0);
  const secrets = [PASSWORD, ...tokensSeen];
  const logs = daemons.flatMap((d) => d.log.all).concat(consoleLines);
  for (const secret of secrets) {
    assert.deepEqual(logs.filter((line) => line.includes(secret)), [], 'a secret was logged');
  }
});

// ---- a cluster: the page on one node, ncat on another (docs/CLUSTER.md) ----------------------

scenario = 'cluster';
let nodeTcp;
let nodeWeb;
let nick;   // a raw TCP client on the other node
let wendy;  // the page

step('two nodes of one cluster on a redis-server of the test\'s own', async () => {
  const redis = await startRedis();
  nodeTcp = await startDaemon(['tcp://127.0.0.1:0'], newDataDir(), ['--cluster', redis.url]);
  nodeWeb = await startDaemon(['ws://127.0.0.1:0'], newDataDir(), ['--cluster', redis.url]);
  nick = await tcpClient(nodeTcp.ports.tcp, 'nick');
  nick.send('LOGIN nick');
  await nick.lines.waitFor('OK', 'nick LOGIN');
});

step('the page on one node and ncat on the other chat as one server', async () => {
  wendy = await openPage(`http://127.0.0.1:${nodeWeb.ports.ws}/`, 'wendy');
  await loginAs(wendy, 'NICK');  // names are one world's: taken on the other node
  await seen(wendy.locator('#login-error').filter({ hasText: 'already taken' }));
  await loginAs(wendy, 'wendy');
  await online(wendy, 'wendy');
  nick.send('MSG hello across nodes');
  await seen(feedEntry(wendy, '[data-kind="msg"][data-from="nick"]', 'hello across nodes'));
  await wendy.locator('#message').fill('hi from the browser');
  await wendy.locator('#message').press('Enter');
  await nick.lines.waitFor('MSG wendy hi from the browser', 'nick receiving wendy\'s MSG');
  await wendy.locator('#message').fill('/dm nick just for you');
  await wendy.locator('#message').press('Enter');
  await nick.lines.waitFor('DM wendy just for you', 'nick receiving wendy\'s DM');
  await seen(feedEntry(wendy, '[data-kind="dm-out"][data-to="nick"]', 'just for you'));
  nick.send('WHO');
  await nick.lines.waitFor('USER wendy', 'nick\'s WHO listing wendy');
});

step('ncat leaves its node: the page on the other node is told', async () => {
  nick.socket.destroy();
  await seen(wendy.locator('#feed [data-kind="info"]').filter({ hasText: 'nick disconnected' }));
  for (const node of [nodeTcp, nodeWeb]) {
    const { code, signal } = await stopDaemon(node);
    assert.equal(signal, null, `socketchatd died of ${signal}`);
    assert.equal(code, 0);
  }
});

// ---- a resume: the daemon restarts while two others talk on (PROTOCOL.md, Message ids) -------

scenario = 'resume';
let resumeDaemon;
let pia;       // the page
let talkers;   // tom and una on raw TCP, with ids
const SQLITE = ['--history', 'sqlite'];

// A raw TCP user with ids, in the room lounge.
async function talker(port, name) {
  const client = await tcpClient(port, name);
  client.send('CAPS ids');
  await client.lines.waitFor('CAPS ids', `${name} CAPS`);
  client.send(`LOGIN ${name}`);
  client.send('JOIN lounge');
  await client.lines.waitFor('OK', `${name} LOGIN`);
  return client;
}

// What a TCP client's HISTORY answers, as [id, from, text], oldest first.
async function historyOf(client, target) {
  const marker = `end-${target}-${Date.now()}`;
  const start = client.lines.all.length;
  client.send(`HISTORY ${target} 500`);
  client.send(`PING ${marker}`);
  await client.lines.waitFor(`PONG ${marker}`, `${client.lines.label} HISTORY ${target}`);
  return client.lines.all.slice(start)
    .filter((line) => line.startsWith(`HIST ${target} `))
    .map((line) => {
      const [, , id, , from, ...text] = line.split(' ');
      return [id, from, text.join(' ')];
    });
}

// What a feed of the page shows, as [id, from, text], top to bottom.
const pageEntries = (page, feedSelector) => page.locator(`${feedSelector} li.entry`).evaluateAll(
  (items) => items.map((li) => [li.dataset.id || '', li.dataset.from || '', li.querySelector('.text').textContent]));

async function stopResumeDaemon() {
  const { code } = await stopDaemon(resumeDaemon);
  assert.equal(code, 0);
  for (const client of talkers) client.socket.destroy();
}

step('a daemon with SQLite history; tom and una (ncat, with ids) and pia\'s page in a room', async () => {
  resumeDaemon = await startDaemon(['tcp://127.0.0.1:0', 'ws://127.0.0.1:0'], newDataDir(), SQLITE);
  talkers = [await talker(resumeDaemon.ports.tcp, 'tom'), await talker(resumeDaemon.ports.tcp, 'una')];
  pia = await openPage(`http://127.0.0.1:${resumeDaemon.ports.ws}/`, 'pia');
  await loginAs(pia, 'pia');
  await online(pia, 'pia');
  await pia.locator('#message').fill('/join lounge');
  await pia.locator('#message').press('Enter');
  await seen(pia.locator('#room-lounge [data-kind="info"]').filter({ hasText: 'You joined lounge' }));
  talkers[0].send('SAY lounge before the restart');
  await seen(pia.locator('#room-lounge [data-from="tom"]').filter({ hasText: 'before the restart' }));
  await pia.locator('#message').fill('pia was here');
  await pia.locator('#message').press('Enter');
  // The server told it back with its id: the page's own line has one.
  await seen(pia.locator('#room-lounge li.entry.own[data-id]').filter({ hasText: 'pia was here' }));
  talkers[1].send('MSG to everyone before');  // in the Everyone feed, behind the room's tab
  await feedEntry(pia, '[data-kind="msg"][data-from="una"]', 'to everyone before')
    .waitFor({ state: 'attached', timeout: WAIT });
});

step('the daemon restarts without the page\'s port: tom and una talk on while the page is away', async () => {
  const wsPort = resumeDaemon.ports.ws;
  await stopResumeDaemon();
  await seen(pia.locator('#status[data-state="reconnecting"]'));
  resumeDaemon = await startDaemon(['tcp://127.0.0.1:0'], resumeDaemon.dataDir, SQLITE);
  resumeDaemon.ports.ws = wsPort;
  talkers = [await talker(resumeDaemon.ports.tcp, 'tom'), await talker(resumeDaemon.ports.tcp, 'una')];
  for (let i = 1; i <= 3; i += 1) {
    talkers[0].send(`SAY lounge while away ${i} (tom)`);
    talkers[1].send(`SAY lounge while away ${i} (una)`);
  }
  talkers[1].send('MSG to everyone while away');
  await talkers[0].lines.waitFor(/^SAY lounge \S+ \d+ una while away 3 \(una\)$/, 'tom hearing una');
});

step('the daemon restarts with it: the page comes back, and shows each message once, in order', async () => {
  const wsPort = resumeDaemon.ports.ws;
  await stopResumeDaemon();
  resumeDaemon = await startDaemon(['tcp://127.0.0.1:0', `ws://127.0.0.1:${wsPort}`], resumeDaemon.dataDir, SQLITE);
  talkers = [await talker(resumeDaemon.ports.tcp, 'tom'), await talker(resumeDaemon.ports.tcp, 'una')];
  talkers[0].send('SAY lounge as the page comes back');
  await online(pia, 'pia', RECONNECT_WAIT);
  // The page may rejoin before or after una does (it reconnects on its own): tom's line,
  // replayed or live, shows that it is in the room again, whichever came first.
  await seen(pia.locator('#room-lounge [data-from="tom"]').filter({ hasText: 'as the page comes back' }),
             RECONNECT_WAIT);
  talkers[1].send('SAY lounge after the page is back');
  await seen(pia.locator('#room-lounge [data-from="una"]').filter({ hasText: 'after the page is back' }));
  await pia.locator('#message').fill('pia is back');
  await pia.locator('#message').press('Enter');
  await seen(pia.locator('#room-lounge li.entry.own[data-id]').filter({ hasText: 'pia is back' }));

  const stored = await historyOf(talkers[0], 'lounge');
  assert.equal(stored.length, 11, JSON.stringify(stored));
  assert.deepEqual(await pageEntries(pia, '#room-lounge'), stored);
  const feed = (await pageEntries(pia, '#feed')).filter(([id]) => id);
  assert.deepEqual(feed, await historyOf(talkers[0], '*'));
  assert.equal(await pia.locator('li.failed').count(), 0);
  await stopResumeDaemon();
});

// ---- every scenario --------------------------------------------------------------------------

scenario = 'end';

step('no page raised a script error', async () => {
  assert.deepEqual(pageErrors, []);
});

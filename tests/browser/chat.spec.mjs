// The built-in browser client end to end: the real socketchatd serves the page and the
// line protocol over WebSocket; two headless Chromium pages (alice, bob) and one raw TCP
// client (carol, as a person with ncat would) chat with each other.
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

async function startDaemon(listen) {
  const args = listen.flatMap((url) => ['--listen', url]).concat(['--history', 'memory']);
  const child = spawn(daemonPath, args, { stdio: ['ignore', 'inherit', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const log = new Lines(child.stderr, 'socketchatd stderr');
  const daemon = { child, exited, log, ports: {} };
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

async function openPage(url, label) {
  const page = context.pages().find((p) => p.url() === 'about:blank') || await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`${label}: ${error.message}`));
  page.on('console', (message) => {
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
  await page.locator('#login').click();
}

async function online(page, name, timeout = WAIT) {
  await seen(page.locator('#status[data-state="online"]').filter({ hasText: `connected as ${name}` }), timeout);
}

// ---- the scenario --------------------------------------------------------------------------

let daemon;
let alice;
let bob;
let carol;
let broken = false;  // after a failed step the rest would only time out: they are skipped

function step(name, body) {
  test(name, async (t) => {
    if (broken) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await body(t);
    } catch (error) {
      broken = true;
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
  if (carol) carol.socket.destroy();
  if (context) await context.close().catch(() => {});
  for (const d of daemons) {
    if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  }
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
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

step('carol\'s connection ends: both pages drop her from the list', async () => {
  carol.socket.destroy();
  for (const page of [alice, bob]) {
    await page.locator('#users [data-user="carol"]').waitFor({ state: 'detached', timeout: WAIT });
    await seen(page.locator('#feed [data-kind="info"]').filter({ hasText: 'carol disconnected' }));
    await seen(page.locator('#users [data-user="alice"]'));
    await seen(page.locator('#users [data-user="bob"]'));
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
  daemon = await startDaemon([`ws://127.0.0.1:${daemon.ports.ws}`]);
  await online(alice, 'alice', RECONNECT_WAIT);
  await online(bob, 'bob', RECONNECT_WAIT);
  for (const page of [alice, bob]) await seen(page.locator('#feed [data-kind="back"]'));
  await alice.locator('#message').fill('back again');
  await alice.locator('#message').press('Enter');
  await seen(feedEntry(bob, '[data-kind="msg"][data-from="alice"]', 'back again'));
  const { code } = await stopDaemon(daemon);
  assert.equal(code, 0);
});

step('no page raised a script error', async () => {
  assert.deepEqual(pageErrors, []);
});

// Helpers both dashboard pages use (index.html and vault.html): formatting exact decimal strings, table cells,
// and the query API of the same origin.
'use strict';

const $ = sel => document.querySelector(sel);

/** "1234567.5" -> "1,234,567.5"; exact: works on the digits of the string. */
function group(s) {
  if (s === null || s === undefined) return '–';
  const [int, frac] = String(s).split('.');
  const neg = int.startsWith('-');
  const digits = neg ? int.slice(1) : int;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + grouped + (frac ? '.' + frac : '');
}

/** a / b as a percentage with 2 decimals, from decimal strings (BigInt: exact until the rounding). */
function percent(a, b) {
  const x = BigInt(a), y = BigInt(b);
  if (y === 0n) return '–';
  const bps = (x * 10000n) / y;
  return (bps / 100n) + '.' + String(bps % 100n).padStart(2, '0') + '%';
}

/**
 * A cell showing an amount in whole tokens with its symbol ("1,234.5 USDC"), the API's exact raw value on hover (the
 * title) and in data-raw; the raw value grouped when the token's decimals are unknown (no formatted value).
 */
function amountCell(formatted, raw, symbol, attrs) {
  const known = formatted !== null && formatted !== undefined;
  const text = raw === null || raw === undefined ? '–' : (known ? group(formatted) : group(raw)) + (symbol ? ' ' + symbol : '');
  const td = cell(text, Object.assign({ class: 'num' }, attrs || {}));
  if (raw !== null && raw !== undefined) {
    td.title = 'raw: ' + raw + (known ? '' : ' (token decimals unknown)');
    td.dataset.raw = raw;
  }
  return td;
}

/** An ISO 8601 UTC time as "2025-01-31 12:00:05 UTC"; "–" without one. */
function when(iso) {
  return iso ? iso.replace('T', ' ').replace('Z', ' UTC') : '–';
}

/** A cell showing a block's time, its number on hover and in data-block. */
function timeCell(block, iso) {
  const td = cell(when(iso), { title: 'block ' + block, class: 'time' });
  td.dataset.block = block;
  return td;
}

/** Symbols of each market's tokens, by market id, from /markets. */
function marketTokens(markets) {
  return new Map(markets.items.map(m => [m.id, {
    name: m.name, loan: m.tokens.loan.symbol, collateral: m.tokens.collateral.symbol,
  }]));
}

function short(addr) {
  return addr ? addr.slice(0, 6) + '…' + addr.slice(-4) : '–';
}

function healthClass(h) {
  if (h === null) return '';
  const x = Number(h);
  return x < 1 ? 'health-bad' : x < 1.1 ? 'health-warn' : 'health-ok';
}

function cell(text, attrs) {
  const td = document.createElement('td');
  td.textContent = text;
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') td.className = v; else td.setAttribute(k, v);
  }
  return td;
}

function row(cells, data) {
  const tr = document.createElement('tr');
  for (const [k, v] of Object.entries(data || {})) tr.dataset[k] = v === null ? '' : String(v);
  tr.append(...cells);
  return tr;
}

async function api(path) {
  const r = await fetch(path, { cache: 'no-store' });
  let body;
  try { body = await r.json(); } catch (e) { body = { error: 'not JSON: HTTP ' + r.status }; }
  return { status: r.status, body };
}

async function ok(path) {
  const { status, body } = await api(path);
  if (status !== 200) throw new Error(path + ': HTTP ' + status + ' ' + (body.error || ''));
  return body;
}

/** A link to a vault's page, its id as the text. */
function vaultLink(id) {
  const a = document.createElement('a');
  a.href = 'vault.html?id=' + encodeURIComponent(id);
  a.textContent = String(id);
  a.className = 'vault-link';
  return a;
}

/** A cell holding {@code node} (a link). */
function nodeCell(node, attrs) {
  const td = cell('', attrs);
  td.append(node);
  return td;
}

/**
 * Runs {@code refresh} now, on every block, reorg or resync the indexer pushes (its /events stream), every 15 s
 * regardless (what is not pushed, like the keeper's status) and every 2 s while the stream is down. Refreshes never
 * overlap: an event during one triggers one more after it. The page's state goes to body data-* attributes (state,
 * refreshes, live, events) for the browser check.
 */
function liveRefresh(refresh, errorPrefix) {
  const FALLBACK_MS = 2000;
  const IDLE_MS = 15000;
  let running = false;
  let again = false;
  let live = false;
  let timer = null;
  const data = document.body.dataset;

  async function update() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    clearTimeout(timer);
    try {
      await refresh();
      $('#error').hidden = true;
      data.state = 'ready';
    } catch (e) {
      $('#error').hidden = false;
      $('#error').textContent = errorPrefix + e.message;
      data.state = 'error';
    } finally {
      running = false;
    }
    data.refreshes = Number(data.refreshes) + 1;
    if (again) {
      again = false;
      update();
      return;
    }
    timer = setTimeout(update, live ? IDLE_MS : FALLBACK_MS);
  }

  if (window.EventSource) {
    const events = new EventSource('/events');
    const setLive = on => {
      live = on;
      data.live = on ? 'true' : 'false';
      if (!on) {
        clearTimeout(timer);
        if (!running) timer = setTimeout(update, FALLBACK_MS);
      }
    };
    events.addEventListener('open', () => setLive(true));
    events.addEventListener('error', () => setLive(false)); // the browser reconnects by itself
    for (const name of ['block', 'reorg', 'resync']) {
      events.addEventListener(name, () => {
        data.events = Number(data.events || 0) + 1;
        update();
      });
    }
  }
  update();
}

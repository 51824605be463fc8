#!/usr/bin/env node
// The dashboard in a real browser: loads <indexer-url>/ in headless Chromium (Debian's package, driven by
// playwright-core), waits for it to render, and checks that the numbers it shows equal the query API's: markets
// (count, prices, open vaults), the vaults closest to liquidation (ids in order, health, debt, liquidation price, the
// guarded badge), recent liquidations, the margin guard's top-ups, the risk table of each market against
// /risk/{market}?drop= (with the guards' saved vaults), the health histogram against /risk?drop=0, and the keeper
// status. Saves <outdir>/dashboard.png. Given the chain's RPC URL, it also checks live updates: the page holds the
// indexer's /events stream open, and a block mined then reaches the page through it (before the 15 s idle refresh).
//
//   node e2e/dashboard.check.cjs <indexer-url> <outdir> [<rpc-url>]   (CHROMIUM overrides /usr/bin/chromium)
//
// Prints "dashboard check: OK {json summary}" and exits 0, or "dashboard check: FAILED ..." with every mismatch and
// exits 1 (2 on a usage or browser start-up error).
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [url, outdir, rpc] = process.argv.slice(2);
const LIVE_TIMEOUT_MS = 10_000; // under the page's 15 s idle refresh: only a pushed event can beat it
if (!url || !outdir) {
  console.error('usage: node e2e/dashboard.check.cjs <indexer-url> <outdir>');
  process.exit(2);
}
const base = url.replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ATTEMPTS = 5; // the page and the API may read different blocks while the chain moves: compare again
const RENDER_TIMEOUT_MS = 30_000;

async function api(p) {
  const r = await fetch(base + p, { signal: AbortSignal.timeout(10_000) });
  return { status: r.status, body: await r.json() };
}

async function apiOk(p) {
  const r = await api(p);
  if (r.status !== 200) throw new Error(`${p}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * What the page shows: visible texts (thousands separators removed) and the data-* values of each figure; an amount as
 * its text ("1234.5 USDC") and the raw value it carries (data-raw, also its hover title).
 */
function readPage() {
  const plain = s => s.replace(/,/g, '').trim();
  const rows = sel => [...document.querySelectorAll(sel)];
  const amt = td => ({ text: plain(td.textContent), raw: td.dataset.raw === undefined ? null : td.dataset.raw,
    title: td.title });
  return {
    block: document.body.dataset.block,
    state: document.body.dataset.state,
    live: document.body.dataset.live === 'true',
    error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent,
    marketCount: document.getElementById('market-count').dataset.count,
    markets: rows('#markets tbody tr').map(tr => ({
      id: tr.dataset.marketId, price: amt(tr.querySelector('.price')),
      name: tr.querySelector('.market-name').textContent,
      openVaults: tr.querySelector('.open-vaults').textContent,
      pendingExecutableAt: tr.querySelector('.pending-risk').dataset.executableAt || '',
    })),
    vaults: rows('#vaults tbody tr').map(tr => ({
      id: tr.dataset.vaultId, market: tr.children[1].textContent, debt: amt(tr.children[4]),
      health: tr.children[5].textContent, liquidationPrice: amt(tr.children[6]),
      liquidatable: tr.dataset.liquidatable, guardedBadge: !!tr.querySelector('.badge.guard'),
    })),
    topUps: rows('#top-ups tbody tr[data-vault]').map(tr => ({
      block: tr.dataset.block, time: tr.children[0].textContent, vault: tr.children[1].textContent,
      amount: amt(tr.children[4]), fee: amt(tr.children[5]),
    })),
    liquidations: rows('#liquidations tbody tr[data-vault]').map(tr => ({
      block: tr.dataset.block, time: tr.children[0].textContent, vault: tr.children[1].textContent,
      market: tr.children[2].textContent, repaidAssets: amt(tr.children[3]), badDebt: amt(tr.children[5]),
    })),
    risk: rows('#market-charts section[data-market]').map(card => ({
      market: card.dataset.market,
      histogram: card.querySelector('svg.histogram').dataset.buckets,
      curvePath: !!card.querySelector('svg.risk path.curve'),
      rows: [...card.querySelectorAll('.risk-table tbody tr')].map(tr => ({
        drop: tr.dataset.drop, vaults: tr.children[2].textContent, debt: amt(tr.children[3]),
        badDebt: amt(tr.children[4]), saved: tr.children[5].textContent,
        guardedLiquidatable: tr.children[6].textContent,
      })),
    })),
    keeperState: document.getElementById('keeper').dataset.keeperState,
    keeperTracked: (document.querySelector('#keeper-table tr[data-key="trackedVaults"] td.num') || {}).textContent,
    keeperText: document.getElementById('keeper').textContent,
  };
}

/** Every difference between the page and the API (empty: they agree). */
async function compare(shown) {
  const bad = [];
  const eq = (what, got, want) => { if (String(got) !== String(want)) bad.push(`${what}: page shows ${got}, API ${want}`); };
  // an amount: shown in whole tokens with its symbol (the API's formatted value), the raw value on hover
  const eqAmount = (what, got, formatted, raw, symbol) => {
    if (raw === null || raw === undefined) return eq(what, got.text, '–');
    eq(what, got.text, (formatted === null || formatted === undefined ? raw : formatted) + ' ' + symbol);
    eq(what + ' (raw, on hover)', got.raw, raw);
    if (!got.title.includes(raw)) bad.push(`${what}: hover title ${got.title} lacks the raw ${raw}`);
  };
  // a block's time as the page shows it: "2025-01-31 12:00:05 UTC"
  const shownTime = iso => (iso ? iso.replace('T', ' ').replace('Z', ' UTC') : '–');
  if (shown.error) bad.push('page shows an error: ' + shown.error);

  const markets = await apiOk('/markets');
  const symbols = new Map(markets.items.map(m => [m.id, { loan: m.tokens.loan.symbol, collateral: m.tokens.collateral.symbol }]));
  eq('asOf block', shown.block, markets.asOf ? markets.asOf.block : '');
  eq('market count', shown.marketCount, markets.items.length);
  eq('market rows', shown.markets.length, markets.items.length);
  markets.items.forEach((m, i) => {
    const s = shown.markets[i] || {};
    eq(`market row ${i} id`, s.id, m.id);
    eq(`market ${m.id} name`, s.name, m.name);
    eqAmount(`market ${m.id} price`, s.price || {}, m.price && m.price.answerFormatted, m.price && m.price.answer,
      m.tokens.loan.symbol);
    eq(`market ${m.id} open vaults`, s.openVaults, m.openVaults);
    eq(`market ${m.id} pending risk change`, s.pendingExecutableAt,
      m.pendingRiskChange ? m.pendingRiskChange.executableAt : '');
  });

  const vaults = await apiOk('/vaults?sort=health&limit=50');
  eq('vault rows', shown.vaults.length, vaults.items.length);
  vaults.items.forEach((v, i) => {
    const s = shown.vaults[i] || {};
    eq(`vault row ${i} id`, s.id, v.id);
    eq(`vault ${v.id} health`, s.health, v.health === null ? '–' : v.health);
    eq(`vault ${v.id} market`, s.market, v.marketName);
    eqAmount(`vault ${v.id} debt`, s.debt || {}, v.debtFormatted, v.debt, symbols.get(v.market).loan);
    eqAmount(`vault ${v.id} liquidation price`, s.liquidationPrice || {}, v.liquidationPriceFormatted, v.liquidationPrice,
      symbols.get(v.market).loan);
    eq(`vault ${v.id} liquidatable`, s.liquidatable, v.liquidatable);
    eq(`vault ${v.id} guarded badge`, s.guardedBadge, v.guarded);
  });

  const topUps = await apiOk('/guard/top-ups?order=desc&limit=15');
  eq('top-up rows', shown.topUps.length, topUps.items.length);
  topUps.items.forEach((t, i) => {
    const s = shown.topUps[i] || {};
    eq(`top-up ${i} vault`, s.vault, t.vault);
    eq(`top-up ${i} block`, s.block, t.block);
    eq(`top-up ${i} time`, s.time, shownTime(t.time));
    eqAmount(`top-up ${i} amount`, s.amount || {}, t.amountFormatted, t.amount, t.tokenSymbol);
    eqAmount(`top-up ${i} fee`, s.fee || {}, t.feeFormatted, t.fee, t.tokenSymbol);
  });

  const liqs = await apiOk('/liquidations?order=desc&limit=15');
  eq('liquidation rows', shown.liquidations.length, liqs.items.length);
  liqs.items.forEach((l, i) => {
    const s = shown.liquidations[i] || {};
    eq(`liquidation ${i} vault`, s.vault, l.vault);
    eq(`liquidation ${i} block`, s.block, l.block);
    eq(`liquidation ${i} time`, s.time, shownTime(l.time));
    eq(`liquidation ${i} market`, s.market, l.marketName);
    eqAmount(`liquidation ${i} repaid`, s.repaidAssets || {}, l.repaidAssetsFormatted, l.repaidAssets,
      symbols.get(l.market).loan);
    eqAmount(`liquidation ${i} bad debt`, s.badDebt || {}, l.badDebtFormatted, l.badDebt, symbols.get(l.market).loan);
  });

  const priced = markets.items.filter(m => m.price);
  eq('risk cards', shown.risk.length, priced.length);
  for (const card of shown.risk) {
    if (!card.curvePath) bad.push(`market ${card.market}: no risk curve drawn`);
    if (card.rows.length === 0) bad.push(`market ${card.market}: empty risk table`);
    for (const r of card.rows) {
      const risk = await apiOk(`/risk/${card.market}?drop=${r.drop}`);
      eq(`market ${card.market} at -${r.drop}% liquidatable vaults`, r.vaults, risk.liquidatableVaults);
      const loan = symbols.get(Number(card.market)).loan;
      eqAmount(`market ${card.market} at -${r.drop}% liquidatable debt`, r.debt, risk.liquidatableDebtFormatted,
        risk.liquidatableDebt, loan);
      eqAmount(`market ${card.market} at -${r.drop}% bad debt`, r.badDebt, risk.badDebtFormatted, risk.badDebt, loan);
      eq(`market ${card.market} at -${r.drop}% saved by guards`, r.saved, risk.withGuards.savedVaults);
      eq(`market ${card.market} at -${r.drop}% liquidatable with guards`, r.guardedLiquidatable,
        risk.withGuards.liquidatableVaults);
    }
    const now = await apiOk(`/risk/${card.market}?drop=0`);
    const buckets = JSON.parse(card.histogram || '[]');
    eq(`market ${card.market} histogram total`, buckets.reduce((a, b) => a + b, 0), now.indebtedVaults);
    eq(`market ${card.market} histogram below 1`, buckets[0], now.alreadyLiquidatable);
  }

  const keeper = await api('/keeper/status');
  const wantState = keeper.status === 200 ? 'ok' : keeper.body.configured === false ? 'not-configured' : 'unreachable';
  eq('keeper state', shown.keeperState, wantState);
  if (keeper.status === 200) eq('keeper vaults tracked', shown.keeperTracked, keeper.body.trackedVaults);
  return { bad, markets, vaults, liqs, topUps, keeper };
}

async function main() {
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    });
  } catch (e) {
    console.error('dashboard check: cannot start Chromium at ' + CHROMIUM + ': ' + e.message);
    process.exit(2);
  }
  const problems = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', e => problems.push('page error: ' + e.message));
    // a failed request is reported by URL below (the keeper proxy may answer 404/502/504 by design)
    page.on('console', m => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push('console error: ' + m.text());
    });
    page.on('response', r => {
      if (r.status() >= 400 && !r.url().endsWith('/keeper/status')) problems.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    const response = await page.goto(base + '/', { waitUntil: 'load', timeout: RENDER_TIMEOUT_MS });
    if (!page.url().endsWith('/dashboard/')) problems.push(`/ did not lead to /dashboard/ but to ${page.url()}`);
    if (!response || response.status() !== 200) problems.push(`dashboard answered HTTP ${response && response.status()}`);
    await page.waitForFunction(() => Number(document.body.dataset.refreshes) >= 1, null, { timeout: RENDER_TIMEOUT_MS });

    let result;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      // wait for a refresh that starts after this point, so the page and the API read close together
      const seen = await page.evaluate(() => Number(document.body.dataset.refreshes));
      await page.waitForFunction(n => Number(document.body.dataset.refreshes) > n, seen, { timeout: RENDER_TIMEOUT_MS });
      const shown = await page.evaluate(readPage);
      result = await compare(shown);
      result.shown = shown;
      if (result.bad.length === 0) break;
      if (attempt < ATTEMPTS) console.log(`dashboard check: attempt ${attempt}: ${result.bad.length} difference(s), comparing again`);
    }
    // the vault page, reached from the first vault id of the table
    let vaultPage = null;
    const firstVault = await page.evaluate(() => {
      const a = document.querySelector('#vaults tbody a.vault-link');
      return a ? a.textContent : null;
    });
    if (firstVault === null) {
      problems.push('no vault link in the vaults table');
    } else {
      await Promise.all([page.waitForURL(u => String(u).includes('vault.html?id=' + firstVault)),
        page.click('#vaults tbody a.vault-link')]);
      await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: RENDER_TIMEOUT_MS });
      const shownVault = await page.evaluate(() => ({ id: document.body.dataset.vault, debt: document.body.dataset.debt,
        health: document.body.dataset.health, liquidationPrice: document.body.dataset.liquidationPrice,
        historyRows: document.querySelectorAll('#history tbody tr').length,
        guarded: document.getElementById('guard').dataset.guarded }));
      const v = await apiOk('/vaults/' + firstVault);
      const h = await apiOk('/vaults/' + firstVault + '/history?limit=100');
      const same = (what, a, b) => { if (String(a) !== String(b)) problems.push(`vault page ${what}: ${a}, API ${b}`); };
      same('id', shownVault.id, v.id);
      same('debt', shownVault.debt, v.debt);
      same('health', shownVault.health, v.health === null ? '' : v.health);
      same('liquidation price', shownVault.liquidationPrice, v.liquidationPrice === null ? '' : v.liquidationPrice);
      same('history rows', shownVault.historyRows, h.items.length);
      same('guarded', shownVault.guarded, String(!!(v.guard && v.guard.policy)));
      vaultPage = { id: Number(shownVault.id), historyRows: shownVault.historyRows };
      await page.goto(base + '/dashboard/', { waitUntil: 'load', timeout: RENDER_TIMEOUT_MS });
      await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: RENDER_TIMEOUT_MS });
    }

    let pushedBlock = null;
    if (rpc) {
      await page.waitForFunction(() => document.body.dataset.live === 'true', null, { timeout: RENDER_TIMEOUT_MS });
      const before = await page.evaluate(() => ({ events: Number(document.body.dataset.events || 0),
        block: Number(document.body.dataset.block) }));
      const mined = await fetch(rpc, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'evm_mine', params: [] }) });
      if (!mined.ok) throw new Error('evm_mine: HTTP ' + mined.status);
      try {
        await page.waitForFunction(b => Number(document.body.dataset.events || 0) > b.events
          && Number(document.body.dataset.block) > b.block, before, { timeout: LIVE_TIMEOUT_MS });
        pushedBlock = await page.evaluate(() => Number(document.body.dataset.block));
      } catch (e) {
        problems.push(`a mined block did not reach the page through /events within ${LIVE_TIMEOUT_MS} ms`);
      }
    }
    fs.mkdirSync(outdir, { recursive: true });
    const shot = path.join(outdir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });

    problems.push(...result.bad);
    const summary = {
      block: Number(result.shown.block), markets: Number(result.shown.marketCount), vaultRows: result.shown.vaults.length,
      vaultIds: result.shown.vaults.map(v => Number(v.id)), lowestHealth: result.shown.vaults.length ? result.shown.vaults[0].health : null,
      liquidatedVaults: result.shown.liquidations.map(l => Number(l.vault)),
      riskRows: result.shown.risk.reduce((n, c) => n + c.rows.length, 0),
      guardedVaults: result.shown.vaults.filter(v => v.guardedBadge).map(v => Number(v.id)),
      topUps: result.shown.topUps.map(t => Number(t.vault)),
      savedByGuards: result.shown.risk.reduce((n, c) => Math.max(n, ...c.rows.map(r => Number(r.saved))), 0),
      pendingRiskChanges: result.shown.markets.filter(m => m.pendingExecutableAt !== '').length,
      marketNames: result.shown.markets.map(m => m.name),
      liquidationsShown: result.shown.liquidations.map(l => ({ time: l.time, market: l.market,
        repaid: l.repaidAssets.text, repaidRaw: l.repaidAssets.raw })),
      keeper: result.shown.keeperState, keeperTracked: result.shown.keeperTracked === undefined ? null : Number(result.shown.keeperTracked),
      screenshot: shot, live: result.shown.live, pushedBlock, vaultPage,
    };
    if (problems.length) {
      console.log('dashboard check: FAILED\n  ' + problems.join('\n  '));
      process.exitCode = 1;
    } else {
      console.log('dashboard check: OK ' + JSON.stringify(summary));
    }
  } catch (e) {
    console.log('dashboard check: FAILED ' + (e.stack || e.message) + (problems.length ? '\n  ' + problems.join('\n  ') : ''));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

main();

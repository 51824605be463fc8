// The operator dashboard: refreshes from the indexer's query API (same origin) when the indexer commits a block (its
// /events stream; every 15 s regardless, for the keeper's status; every 2 s while the stream is down) and renders
// markets, keeper status,
// recent liquidations and margin-guard top-ups, a health histogram and a risk curve per market (with and without the
// guards' remaining capacity), and the vaults closest to liquidation (guarded ones marked).
// Amounts are shown in whole tokens with their symbols (the API's formatted values, exact, grouped into thousands),
// markets by name (WETH/USDC) and events by their block's time (UTC); the raw value of each figure is on hover (the
// title) and kept in a data-* attribute (the browser test compares both with the API).
'use strict';

const VAULT_ROWS = 50;
const LIQUIDATION_ROWS = 15;
const TOP_UP_ROWS = 15;
const CURVE = { max: 50, step: 2.5 };
const CURVE_TABLE_DROPS = ['0', '10', '20', '25', '30', '40', '50'];

/* RENDERING */

function renderHealth(h) {
  const pill = $('#indexer-status');
  pill.className = 'pill ' + (h.body.status === 'ok' ? 'ok' : 'bad');
  pill.textContent = `indexer ${h.body.status} · block ${h.body.indexedBlock} · head ${h.body.headBlock} · lag ${h.body.lagBlocks}`;
  pill.title = (h.body.reasons || []).map(r => r.message).join('\n'); // why it is not ok, on hover
  pill.dataset.indexedBlock = h.body.indexedBlock;
  pill.dataset.lag = h.body.lagBlocks;
}

function renderMarkets(markets) {
  $('#market-count').textContent = '(' + markets.items.length + ')';
  $('#market-count').dataset.count = markets.items.length;
  const rows = markets.items.map(m => {
    const st = m.state;
    const loan = m.tokens.loan.symbol;
    const tiers = (m.tiers || []).map(t => (t.mmToBps / 100) + '%').join(' / ');
    const liq = m.liquidation ? (m.liquidation.bonusBps / 100) + '% / ' + (m.liquidation.closeFactorBps / 100) + '%' : '–';
    return row([
      cell(String(m.id)),
      cell(m.name, { class: 'market-name', title: m.collateralToken + ' / ' + m.loanToken }),
      amountCell(m.price && m.price.answerFormatted, m.price && m.price.answer, loan, { class: 'num price' }),
      amountCell(st.totalSupplyAssetsFormatted, st.totalSupplyAssets, loan),
      amountCell(st.totalBorrowAssetsFormatted, st.totalBorrowAssets, loan),
      cell(percent(st.totalBorrowAssets, st.totalSupplyAssets)),
      amountCell(st.insuranceFundFormatted, st.insuranceFund, loan),
      cell(String(m.openVaults), { class: 'open-vaults' }),
      cell(liq),
      cell(tiers),
      cell(m.paused ? 'paused' : 'active'),
      pendingCell(m.pendingRiskChange),
    ], { marketId: m.id, price: m.price ? m.price.answer : null, openVaults: m.openVaults,
      totalBorrowAssets: st.totalBorrowAssets, totalSupplyAssets: st.totalSupplyAssets });
  });
  $('#markets tbody').replaceChildren(...rows);
}

// A market's pending risk-parameter change (timelocked): when anyone may execute it, and what it sets.
function pendingCell(p) {
  if (!p) return cell('–', { class: 'pending-risk' });
  const c = cell(p.executable ? 'executable' : 'pending', {
    class: 'pending-risk',
    title: `pending, executable from ${when(p.executableAtTime)}: bonus ${p.liquidation.bonusBps / 100}%, `
      + `close factor ${p.liquidation.closeFactorBps / 100}%, protocol fee ${p.liquidation.protocolFeeBps / 100}%, min debt ${group(p.liquidation.minDebtFormatted)} (raw ${p.liquidation.minDebt}), `
      + `reserve ${p.interest.reserveFactorBps / 100}%, max oracle age ${p.maxOracleAge} s (proposed in block `
      + `${p.proposedBlock}, ${when(p.proposedTime)})`,
  });
  c.dataset.executableAt = p.executableAt;
  return c;
}

function renderKeeper(k) {
  const box = $('#keeper');
  if (k.status !== 200) {
    const configured = k.body.configured !== false;
    box.dataset.keeperState = configured ? 'unreachable' : 'not-configured';
    box.replaceChildren(Object.assign(document.createElement('span'), {
      className: 'muted',
      textContent: configured ? 'keeper unreachable: ' + (k.body.error || 'HTTP ' + k.status)
        : 'keeper not configured (set api.keeper-url in the indexer config)',
    }));
    return;
  }
  const s = k.body;
  box.dataset.keeperState = 'ok';
  const liquidatable = (s.markets || []).reduce((n, m) => n + m.liquidatable, 0);
  const table = document.createElement('table');
  table.id = 'keeper-table';
  const add = (label, value, key) => table.append(row([cell(label), cell(value, { class: 'num' })], { key, value }));
  add('sender', short(s.sender) + (s.dryRun ? ' (dry run)' : ''), 'sender');
  add('block', String(s.block) + (s.blockTime ? ' · ' + when(s.blockTime) : ''), 'block');
  add('vaults tracked', String(s.trackedVaults), 'trackedVaults');
  add('liquidatable now', String(liquidatable), 'liquidatable');
  add('transactions in flight', String((s.pending || []).length), 'pending');
  for (const m of s.markets || []) {
    add('market ' + m.marketId + (m.name ? ' ' + m.name : ''), m.vaults + ' vaults, ' + m.liquidatable + ' liquidatable',
      'market-' + m.marketId);
  }
  box.replaceChildren(table);
}

function renderLiquidations(liqs, tokens) {
  const rows = liqs.items.map(l => row([
    timeCell(l.block, l.time),
    nodeCell(vaultLink(l.vault)),
    cell(l.marketName, { title: 'market ' + l.market }),
    amountCell(l.repaidAssetsFormatted, l.repaidAssets, tokens.get(l.market).loan),
    amountCell(l.seizedCollateralFormatted, l.seizedCollateral, tokens.get(l.market).collateral),
    amountCell(l.badDebtFormatted, l.badDebt, tokens.get(l.market).loan, { class: 'num' + (l.badDebt !== '0' ? ' health-bad' : '') }),
    cell(short(l.liquidator), { title: l.liquidator }),
  ], { block: l.block, logIndex: l.logIndex, vault: l.vault, market: l.market, repaidAssets: l.repaidAssets,
    seizedCollateral: l.seizedCollateral, badDebt: l.badDebt }));
  if (rows.length === 0) rows.push(row([cell('none yet', { colspan: 7, class: 'muted' })]));
  $('#liquidations tbody').replaceChildren(...rows);
}

// The vault's badges: liquidatable now, guarded by a live margin-guard policy.
function badgesCell(v) {
  const td = cell('');
  if (v.liquidatable) td.append(Object.assign(document.createElement('span'), { className: 'badge bad', textContent: 'liquidatable' }));
  if (v.guarded) {
    td.append(Object.assign(document.createElement('span'), {
      className: 'badge guard', textContent: 'guarded',
      title: 'a live margin-guard policy: below its trigger health anyone may top it up from the owner\'s wallet',
    }));
  }
  return td;
}

function renderTopUps(topUps) {
  const healths = t => (t.healthBefore === null ? '–' : t.healthBefore) + ' → ' + (t.healthAfter === null ? 'no debt' : t.healthAfter);
  const rows = topUps.items.map(t => row([
    timeCell(t.block, t.time),
    nodeCell(vaultLink(t.vault)),
    cell(t.marketName, { title: 'market ' + t.market }),
    cell(t.mode === 'repay_debt' ? 'repay debt' : 'deposit collateral'),
    amountCell(t.amountFormatted, t.amount, t.tokenSymbol),
    amountCell(t.feeFormatted, t.fee, t.tokenSymbol),
    cell(healths(t), { class: 'num' }),
    amountCell(t.usedLast24hFormatted, t.usedLast24h, t.tokenSymbol),
    cell(short(t.executor), { title: t.executor }),
  ], { block: t.block, logIndex: t.logIndex, vault: t.vault, amount: t.amount, fee: t.fee,
    healthAfterWad: t.healthAfterWad }));
  if (rows.length === 0) rows.push(row([cell('none yet', { colspan: 9, class: 'muted' })]));
  $('#top-ups tbody').replaceChildren(...rows);
}

function renderVaults(vaults, prices, tokens) {
  const rows = vaults.items.map(v => row([
    nodeCell(vaultLink(v.id)),
    cell(v.marketName, { title: 'market ' + v.market }),
    cell(short(v.owner), { title: v.owner }),
    amountCell(v.collateralFormatted, v.collateral, tokens.get(v.market).collateral),
    amountCell(v.debtFormatted, v.debt, tokens.get(v.market).loan),
    cell(v.health === null ? '–' : v.health, { class: 'num ' + healthClass(v.health) }),
    amountCell(v.liquidationPriceFormatted, v.liquidationPrice, tokens.get(v.market).loan),
    amountCell(...(prices.get(v.market) || [null, null]), tokens.get(v.market).loan),
    badgesCell(v),
  ], { vaultId: v.id, market: v.market, health: v.health, healthWad: v.healthWad || null,
    debt: v.debt, liquidationPrice: v.liquidationPrice, liquidatable: v.liquidatable, guarded: !!v.guarded }));
  $('#vaults tbody').replaceChildren(...rows);
}

function marketCard(id, t) {
  let card = document.getElementById('market-card-' + id);
  if (card) return card;
  card = document.createElement('section');
  card.className = 'card';
  card.id = 'market-card-' + id;
  card.dataset.market = id;
  card.innerHTML = `<h2>Market ${id} <span class="card-name"></span>: health of vaults with debt</h2>
    <svg class="histogram" role="img" aria-label="health histogram of market ${id}"></svg>
    <h2>Market ${id} <span class="card-name"></span>: liquidatable debt if the price drops</h2>
    <svg class="risk" role="img" aria-label="liquidatable debt against price drop, market ${id}"></svg>
    <div class="legend"><i></i>liquidatable debt<i class="guarded"></i>with the guards' top-ups<i class="bad-debt"></i>bad debt their liquidation would leave (<span class="loan-symbol"></span>)</div>
    <table class="risk-table"><thead><tr><th>price drop</th><th>shocked price</th><th>liquidatable</th>
      <th>their debt</th><th>bad debt</th><th title="vaults a top-up of their guard's remaining capacity brings back above health 1">saved</th>
      <th title="vaults liquidatable even with the guards' top-ups">with guards</th></tr></thead><tbody></tbody></table>`;
  card.querySelectorAll('.card-name').forEach(e => { e.textContent = t.name; });
  card.querySelector('.loan-symbol').textContent = t.loan;
  $('#market-charts').append(card);
  return card;
}

function renderHistogram(card, h) {
  const labels = h.buckets.map(b => b.from === null ? '< ' + b.to : b.to === null ? '≥ ' + b.from : b.from + '–' + b.to);
  const classes = h.buckets.map(b => b.from === null ? 'bad' : Number(b.from) < 1.1 ? 'warn' : 'ok');
  Charts.bars(card.querySelector('svg.histogram'), {
    labels, classes, values: h.buckets.map(b => b.vaults), texts: h.buckets.map(b => String(b.vaults)),
    yLabel: 'vaults',
  });
  const svg = card.querySelector('svg.histogram');
  svg.dataset.buckets = JSON.stringify(h.buckets.map(b => b.vaults));
  svg.dataset.debtFree = h.debtFreeVaults;
}

function renderCurve(card, c, t) {
  // drawn in whole tokens (a float is fine for a picture; the table and the data-* keep the exact values)
  const whole = (f, raw) => Number(f === null || f === undefined ? raw : f);
  const xs = c.points.map(p => Number(p.drop));
  const debt = c.points.map(p => whole(p.liquidatableDebtFormatted, p.liquidatableDebt));
  const bad = c.points.map(p => whole(p.badDebtFormatted, p.badDebt));
  const guarded = c.points.map(p => whole(p.withGuards.liquidatableDebtFormatted, p.withGuards.liquidatableDebt));
  const maxPoint = c.points.reduce((m, p) => (BigInt(p.liquidatableDebt) > BigInt(m.liquidatableDebt) ? p : m), c.points[0]);
  const svg = card.querySelector('svg.risk');
  Charts.lines(svg, {
    xs, series: [{ ys: debt }, { ys: guarded, cls: 'guarded' }, { ys: bad, cls: 'bad-debt' }], xLabel: 'oracle price drop',
    xTicks: [0, 10, 20, 30, 40, 50].filter(x => x <= CURVE.max), yLabel: t.loan,
    yMaxText: 'max ' + group(maxPoint.liquidatableDebtFormatted || maxPoint.liquidatableDebt) + ' ' + t.loan,
  });
  svg.dataset.points = JSON.stringify(c.points.map(p => [p.drop, p.liquidatableVaults, p.liquidatableDebt, p.badDebt]));
  const rows = c.points.filter(p => CURVE_TABLE_DROPS.includes(p.drop)).map(p => row([
    cell('−' + p.drop + '%'),
    amountCell(p.shockedPriceFormatted, p.shockedPrice, t.loan),
    cell(String(p.liquidatableVaults)),
    amountCell(p.liquidatableDebtFormatted, p.liquidatableDebt, t.loan),
    amountCell(p.badDebtFormatted, p.badDebt, t.loan),
    cell(String(p.withGuards.savedVaults), { class: 'saved',
      title: 'debt saved: ' + group(p.withGuards.savedDebtFormatted || p.withGuards.savedDebt) + ' ' + t.loan }),
    cell(String(p.withGuards.liquidatableVaults), { class: 'guarded-liquidatable' }),
  ], { drop: p.drop, liquidatableVaults: p.liquidatableVaults, liquidatableDebt: p.liquidatableDebt,
    badDebt: p.badDebt, savedVaults: p.withGuards.savedVaults }));
  card.querySelector('.risk-table tbody').replaceChildren(...rows);
}

/* POLLING */

async function refresh() {
  const [health, markets, vaults, liqs, topUps, keeper] = await Promise.all([
    api('/health'), ok('/markets'), ok('/vaults?sort=health&limit=' + VAULT_ROWS),
    ok('/liquidations?order=desc&limit=' + LIQUIDATION_ROWS), ok('/guard/top-ups?order=desc&limit=' + TOP_UP_ROWS),
    api('/keeper/status'),
  ]);
  const perMarket = await Promise.all(markets.items.filter(m => m.price).map(async m => ({
    id: m.id,
    histogram: await api('/markets/' + m.id + '/health-histogram'),
    curve: await api('/risk/' + m.id + '/curve?max=' + CURVE.max + '&step=' + CURVE.step),
  })));
  const tokens = marketTokens(markets);
  renderHealth(health);
  renderMarkets(markets);
  renderKeeper(keeper);
  renderLiquidations(liqs, tokens);
  renderTopUps(topUps);
  renderVaults(vaults, new Map(markets.items.map(m => [m.id, m.price ? [m.price.answerFormatted, m.price.answer]
    : [null, null]])), tokens);
  for (const m of perMarket) {
    const card = marketCard(m.id, tokens.get(m.id));
    if (m.histogram.status === 200) renderHistogram(card, m.histogram.body);
    if (m.curve.status === 200) renderCurve(card, m.curve.body, tokens.get(m.id));
  }
  const block = markets.asOf ? markets.asOf.block : null;
  $('#as-of').textContent = block === null ? 'nothing indexed yet'
    : 'as of block ' + block + ' (' + when(markets.asOf.time) + ') · updated ' + new Date().toLocaleTimeString();
  document.body.dataset.block = block === null ? '' : block;
}

liveRefresh(refresh, 'refresh failed: ');

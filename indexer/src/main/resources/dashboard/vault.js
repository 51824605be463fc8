// A vault's page (vault.html?id=N): its position with health and liquidation price, its margin-guard policy, its
// event history and top-ups, from the indexer's query API; refreshed when the indexer commits a block.
'use strict';

const VAULT_ID = new URLSearchParams(location.search).get('id');
const HISTORY_ROWS = 100;

function kv(label, value, key) {
  const tr = row([cell(label), cell(value === null || value === undefined ? '–' : value, { class: 'num' })],
    { key });
  return tr;
}

/** A row of an amount in whole tokens, raw on hover. */
function kvAmount(label, formatted, raw, symbol, key) {
  return row([cell(label), amountCell(formatted, raw, symbol)], { key });
}

function renderPosition(v, t) {
  $('#vault-id').textContent = v.id;
  $('#position tbody').replaceChildren(
    kv('market', v.marketName + ' (market ' + v.market + ')', 'market'),
    kv('owner', v.owner, 'owner'),
    kv('state', v.closed ? 'closed' : 'open', 'state'),
    kv('opened', when(v.openedTime) + ' (block ' + v.openedBlock + ')', 'opened'),
    kvAmount('collateral', v.collateralFormatted, v.collateral, t.collateral, 'collateral'),
    kvAmount('debt', v.debtFormatted, v.debt, t.loan, 'debt'),
    kv('health', v.health, 'health'),
    kv('liquidatable', v.liquidatable === null ? null : String(v.liquidatable), 'liquidatable'),
    kvAmount('liquidation price', v.liquidationPriceFormatted, v.liquidationPrice, t.loan, 'liquidationPrice'),
  );
  const data = document.body.dataset;
  data.vault = v.id;
  data.debt = v.debt;
  data.health = v.health === null ? '' : v.health;
  data.liquidationPrice = v.liquidationPrice === null ? '' : v.liquidationPrice;
}

function renderGuard(guard) {
  const p = guard && guard.policy;
  if (!p) {
    $('#guard').textContent = 'no margin-guard policy';
    $('#guard').dataset.guarded = 'false';
    return;
  }
  $('#guard').dataset.guarded = 'true';
  const amount = (f, raw) => (f === null ? group(raw) : group(f)) + ' ' + p.tokenSymbol;
  $('#guard').textContent = `${p.mode === 'deposit_collateral' ? 'deposits collateral' : 'repays debt'} below health `
    + `${p.triggerHealth} up to ${p.targetHealth}; fee ${p.feeBps / 100}%; per top-up `
    + `${amount(p.maxPerTopUpFormatted, p.maxPerTopUp)}, per 24 h ${amount(p.maxPerDayFormatted, p.maxPerDay)} (used `
    + `${amount(p.usedLast24hFormatted, p.usedLast24h)}); ${p.live ? 'live' : 'not live'}, expires ${when(p.expiryTime)}`;
  $('#guard').title = `raw: per top-up ${p.maxPerTopUp}, per 24 h ${p.maxPerDay}, used ${p.usedLast24h}`;
}

function renderHistory(h, t) {
  const coll = (f, raw) => (f === null ? group(raw) : group(f));
  $('#history tbody').replaceChildren(...h.items.map(e => row([
    timeCell(e.block, e.time),
    cell(e.event),
    cell(coll(e.collateralBeforeFormatted, e.collateralBefore) + ' → ' + coll(e.collateralAfterFormatted, e.collateralAfter)
      + ' ' + t.collateral, { class: 'num', title: 'raw: ' + e.collateralBefore + ' → ' + e.collateralAfter }),
    cell(group(e.debtSharesBefore) + ' → ' + group(e.debtSharesAfter), { class: 'num' }),
    cell(short(e.txHash), { title: e.txHash }),
  ], { block: e.block, event: e.event })));
}

function renderTopUps(topUps) {
  $('#vault-top-ups tbody').replaceChildren(...(topUps || []).map(t => row([
    timeCell(t.block, t.time),
    cell(t.mode),
    amountCell(t.amountFormatted, t.amount, t.tokenSymbol),
    amountCell(t.feeFormatted, t.fee, t.tokenSymbol),
    cell((t.healthBefore || '–') + ' → ' + (t.healthAfter || '–')),
  ], { block: t.block })));
}

async function refresh() {
  if (!VAULT_ID) throw new Error('no vault id: open vault.html?id=<vault id>');
  const [v, h, markets] = await Promise.all([ok('/vaults/' + encodeURIComponent(VAULT_ID)),
    ok('/vaults/' + encodeURIComponent(VAULT_ID) + '/history?limit=' + HISTORY_ROWS), ok('/markets')]);
  const t = marketTokens(markets).get(v.market);
  renderPosition(v, t);
  renderGuard(v.guard);
  renderHistory(h, t);
  renderTopUps(v.guard && v.guard.topUps);
  $('#as-of').textContent = v.asOf ? 'as of block ' + v.asOf.block + ' (' + when(v.asOf.time) + ')' : '';
}

liveRefresh(refresh, '');

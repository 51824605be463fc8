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

function renderPosition(v) {
  $('#vault-id').textContent = v.id;
  $('#position tbody').replaceChildren(
    kv('market', String(v.market), 'market'),
    kv('owner', v.owner, 'owner'),
    kv('state', v.closed ? 'closed' : 'open', 'state'),
    kv('collateral', group(v.collateral), 'collateral'),
    kv('debt', group(v.debt), 'debt'),
    kv('health', v.health, 'health'),
    kv('liquidatable', v.liquidatable === null ? null : String(v.liquidatable), 'liquidatable'),
    kv('liquidation price', group(v.liquidationPrice), 'liquidationPrice'),
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
  $('#guard').textContent = `${p.mode === 'deposit_collateral' ? 'deposits collateral' : 'repays debt'} below health `
    + `${p.triggerHealth} up to ${p.targetHealth}; fee ${p.feeBps / 100}%; per top-up ${group(p.maxPerTopUp)}, per `
    + `24 h ${group(p.maxPerDay)} (used ${group(p.usedLast24h)}); ${p.live ? 'live' : 'not live'}, expires `
    + new Date(p.expiry * 1000).toISOString();
}

function renderHistory(h) {
  $('#history tbody').replaceChildren(...h.items.map(e => row([
    cell(String(e.block)),
    cell(e.event),
    cell(group(e.collateralBefore) + ' → ' + group(e.collateralAfter), { class: 'num' }),
    cell(group(e.debtSharesBefore) + ' → ' + group(e.debtSharesAfter), { class: 'num' }),
    cell(short(e.txHash), { title: e.txHash }),
  ], { block: e.block, event: e.event })));
}

function renderTopUps(topUps) {
  $('#vault-top-ups tbody').replaceChildren(...(topUps || []).map(t => row([
    cell(String(t.block)),
    cell(t.mode),
    cell(group(t.amount), { class: 'num' }),
    cell(group(t.fee), { class: 'num' }),
    cell((t.healthBefore || '–') + ' → ' + (t.healthAfter || '–')),
  ], { block: t.block })));
}

async function refresh() {
  if (!VAULT_ID) throw new Error('no vault id: open vault.html?id=<vault id>');
  const [v, h] = await Promise.all([ok('/vaults/' + encodeURIComponent(VAULT_ID)),
    ok('/vaults/' + encodeURIComponent(VAULT_ID) + '/history?limit=' + HISTORY_ROWS)]);
  renderPosition(v);
  renderGuard(v.guard);
  renderHistory(h);
  renderTopUps(v.guard && v.guard.topUps);
  $('#as-of').textContent = v.asOf ? 'as of block ' + v.asOf.block : '';
}

liveRefresh(refresh, '');

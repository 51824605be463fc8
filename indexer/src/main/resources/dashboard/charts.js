// Two small SVG charts for the dashboard, no library. Values are plotted as floating point (only the drawing is
// approximate); every label shown is formatted from the API's exact decimal strings by the caller.
'use strict';

const Charts = (() => {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 520, H = 220, PAD = { left: 64, right: 12, top: 12, bottom: 34 };

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function frame(svg) {
    svg.replaceChildren();
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('width', '100%');
    svg.appendChild(el('line', { class: 'axis', x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom }));
    svg.appendChild(el('line', { class: 'axis', x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }));
  }

  /**
   * Bars: labels[i] under bar i of height values[i] (numbers), classes[i] its CSS class, texts[i] the exact value
   * written above it.
   */
  function bars(svg, { labels, values, classes, texts, yLabel }) {
    frame(svg);
    const max = Math.max(1, ...values);
    const plotW = W - PAD.left - PAD.right, plotH = H - PAD.top - PAD.bottom;
    const slot = plotW / values.length;
    values.forEach((v, i) => {
      const h = (v / max) * plotH;
      const x = PAD.left + i * slot + slot * 0.15;
      svg.appendChild(el('rect', { class: 'bar ' + (classes[i] || ''), x, y: H - PAD.bottom - h, width: slot * 0.7,
        height: Math.max(h, v > 0 ? 1 : 0) }));
      svg.appendChild(el('text', { x: x + slot * 0.35, y: H - PAD.bottom - h - 3, 'text-anchor': 'middle' }, texts[i]));
      svg.appendChild(el('text', { x: x + slot * 0.35, y: H - PAD.bottom + 13, 'text-anchor': 'middle' }, labels[i]));
    });
    svg.appendChild(el('text', { x: 4, y: PAD.top + 8 }, yLabel));
    svg.appendChild(el('text', { x: 4, y: PAD.top + 20 }, 'max ' + max));
  }

  /**
   * Lines over a shared x axis: xs (numbers), series [{ys: numbers, cls}], x tick labels every tickEvery points,
   * yMaxText the exact label of the largest y.
   */
  function lines(svg, { xs, series, xLabel, xTicks, yLabel, yMaxText }) {
    frame(svg);
    const plotW = W - PAD.left - PAD.right, plotH = H - PAD.top - PAD.bottom;
    const xMin = Math.min(...xs), xMax = Math.max(...xs);
    const yMax = Math.max(1e-9, ...series.flatMap(s => s.ys));
    const px = x => PAD.left + (xMax === xMin ? 0 : (x - xMin) / (xMax - xMin)) * plotW;
    const py = y => H - PAD.bottom - (y / yMax) * plotH;
    for (const s of series) {
      const d = s.ys.map((y, i) => (i ? 'L' : 'M') + px(xs[i]).toFixed(1) + ' ' + py(y).toFixed(1)).join(' ');
      svg.appendChild(el('path', { class: 'curve ' + (s.cls || ''), d }));
    }
    for (const t of xTicks) {
      svg.appendChild(el('line', { class: 'axis', x1: px(t), y1: H - PAD.bottom, x2: px(t), y2: H - PAD.bottom + 4 }));
      svg.appendChild(el('text', { x: px(t), y: H - PAD.bottom + 14, 'text-anchor': 'middle' }, t + '%'));
    }
    svg.appendChild(el('text', { x: W - PAD.right, y: H - 4, 'text-anchor': 'end' }, xLabel));
    svg.appendChild(el('text', { x: 4, y: PAD.top + 8 }, yLabel));
    svg.appendChild(el('text', { x: 4, y: PAD.top + 20 }, yMaxText));
  }

  return { bars, lines };
})();

'use strict';
// The slide list: ranked by the risk or the last class's probability (the server sorts), unscored slides last.
// Every value goes in through textContent, never innerHTML: slide ids and reasons are file-derived text.
(async function () {
  const summary = document.getElementById('summary');
  let data;
  try {
    const response = await fetch('/api/slides');
    if (!response.ok) throw new Error(await response.text());
    data = await response.json();
  } catch (e) {
    summary.textContent = 'Could not load the slide list: ' + e.message;
    return;
  }

  const valueColumns = [];
  for (const slide of data.slides) {
    for (const name of Object.keys(slide.score?.values ?? {})) if (!valueColumns.includes(name)) valueColumns.push(name);
  }
  const headings = ['slide', 'prediction', ...valueColumns, 'status', 'heatmap'];
  const head = document.getElementById('slides-head');
  for (const heading of headings) {
    const th = document.createElement('th');
    th.textContent = heading === data.rankColumn ? heading + ' ▼' : heading;
    head.appendChild(th);
  }

  const body = document.querySelector('#slides tbody');
  for (const slide of data.slides) {
    const row = document.createElement('tr');
    const link = document.createElement('a');
    link.href = '/view/' + encodeURIComponent(slide.id);
    link.textContent = slide.id;
    const cells = [link, slide.score?.prediction ?? '',
      ...valueColumns.map(c => formatValue(slide.score?.values?.[c])),
      slide.score ? (slide.score.status + (slide.score.reason ? ': ' + slide.score.reason : '')) : 'not scored',
      slide.hasPatchScores ? 'yes' : '—'];
    for (const content of cells) {
      const td = document.createElement('td');
      if (content instanceof Node) td.appendChild(content); else td.textContent = content;
      row.appendChild(td);
    }
    body.appendChild(row);
  }
  const scored = data.slides.filter(s => s.score && s.score.values[data.rankColumn] != null).length;
  summary.textContent = `${data.slides.length} slides, ${scored} scored` + (data.rankColumn ? `, sorted by ${data.rankColumn}` : '') + '.';

  function formatValue(value) {
    return value == null ? '' : Number(value).toFixed(4);
  }
})();

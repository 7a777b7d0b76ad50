namespace PathoFed.Heatmaps.Reports;

/// <summary>The report's inline style and script: no library, nothing fetched, nothing generated from the data.</summary>
internal static class ReportAssets
{
    public const string Css = """
        :root { color-scheme: light; --ink: #1d2430; --muted: #5c6675; --line: #d5dae1; --accent: #2656a8; --bad: #b3261e; --good: #1e7b34; }
        * { box-sizing: border-box; }
        body { margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 3rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
        h1 { font-size: 1.6rem; margin: .5rem 0; }
        h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
        h3 { font-size: 1.05rem; margin: 0 0 .5rem; overflow-wrap: anywhere; }
        code { font: .9em ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
        a { color: var(--accent); }
        .muted { color: var(--muted); }
        .disclaimer { border: 2px solid var(--bad); background: #fdf1f0; padding: .5rem .75rem; border-radius: 4px; }
        dl.run, .card dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .75rem 0; }
        dt { font-weight: 600; }
        dd { margin: 0; overflow-wrap: anywhere; }
        table { border-collapse: collapse; margin: .5rem 0; }
        th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.reason { max-width: 28rem; overflow-wrap: anywhere; }
        table.scores thead th { position: sticky; top: 0; background: #f3f5f8; }
        th button { all: inherit; cursor: pointer; border: 0; padding: 0; }
        th[aria-sort="ascending"] button::after { content: " \25B2"; }
        th[aria-sort="descending"] button::after { content: " \25BC"; }
        tr.failed td, tr.skipped td { background: #fbf6e9; }
        table.confusion td { text-align: right; min-width: 4rem; }
        table.confusion td.diagonal { font-weight: 700; background: #eef6ef; }
        caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: .25rem; }
        .right { color: var(--good); font-weight: 700; }
        .wrong { color: var(--bad); font-weight: 700; }
        .card { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; break-inside: avoid; }
        .card.failed, .card.skipped { background: #fffdf7; }
        .badge { font-size: .75rem; font-weight: 600; text-transform: uppercase; border: 1px solid currentColor; border-radius: 3px; padding: 0 .3rem; color: var(--muted); vertical-align: middle; }
        .card.failed .badge { color: var(--bad); }
        .images { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
        figure { margin: 0; }
        figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
        figcaption { font-size: .85rem; color: var(--muted); }
        .no-heatmap { color: var(--bad); }
        .missing { color: var(--muted); text-decoration: line-through; }
        footer { margin-top: 3rem; font-size: .85rem; color: var(--muted); border-top: 1px solid var(--line); }
        @media print { table.scores thead th { position: static; } .card { page-break-inside: avoid; } }

        """;

    /// <summary>
    /// Sorts the score table by a clicked column: numbers numerically, text naturally (slide2 before slide10); empty cells
    /// last in either direction; ties keep the ranking. Values come from each cell's <c>data-value</c>.
    /// </summary>
    public const string Script = """
        (function () {
          'use strict';
          var table = document.getElementById('scores');
          if (!table) return;
          var body = table.tBodies[0];
          var headers = table.tHead.rows[0].cells;
          var current = { column: 0, descending: false };

          function valueOf(row, column, numeric) {
            var raw = row.cells[column].getAttribute('data-value');
            if (raw === null || raw === '') return null;
            if (!numeric) return raw;
            var number = Number(raw);
            return isNaN(number) ? null : number;
          }

          function sortBy(column, descending) {
            var numeric = headers[column].getAttribute('data-type') === 'number';
            var rows = Array.prototype.slice.call(body.rows);
            rows.sort(function (a, b) {
              var x = valueOf(a, column, numeric), y = valueOf(b, column, numeric);
              if (x === null || y === null) {
                if (x !== y) return x === null ? 1 : -1;
              } else {
                var order = numeric ? x - y : x.localeCompare(y, undefined, { numeric: true, sensitivity: 'base' });
                if (order !== 0) return descending ? -order : order;
              }
              return Number(a.getAttribute('data-rank')) - Number(b.getAttribute('data-rank'));
            });
            rows.forEach(function (row) { body.appendChild(row); });
            for (var i = 0; i < headers.length; i++) {
              if (i === column) headers[i].setAttribute('aria-sort', descending ? 'descending' : 'ascending');
              else headers[i].removeAttribute('aria-sort');
            }
            current = { column: column, descending: descending };
          }

          Array.prototype.forEach.call(headers, function (header, column) {
            var button = header.querySelector('button');
            if (!button) return;
            button.addEventListener('click', function () {
              sortBy(column, current.column === column ? !current.descending : header.getAttribute('data-first') === 'desc');
            });
          });
          table.setAttribute('data-sortable', 'ready');
        })();

        """;
}

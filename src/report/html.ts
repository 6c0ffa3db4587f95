// The report's HTML: one page, inline CSS, inline SVG charts, no script, no external resource, so it opens from
// disk, offline, in a mail client or a PDF printer. The dashboard reuses the same sections and styles.

/** A chart already rendered to SVG, with what it shows. */
export interface Figure {
  /** Stable id for links and tests. */
  id: string;
  title: string;
  svg: string;
  caption: string;
  /** Series the chart draws (tests and readers check it). */
  series: readonly string[];
}

export interface Table {
  title: string;
  header: readonly string[];
  rows: ReadonlyArray<readonly (string | number | null | undefined)[]>;
  /** Columns holding numbers (right-aligned). */
  numeric?: readonly number[];
  /** Extra id attribute (tests find tables by it). */
  id?: string;
}

export interface Section {
  id: string;
  title: string;
  /** A paragraph of plain text under the heading. */
  intro?: string;
  figures: Figure[];
  /** Shown beside the figures (per-seed tables, so outliers are visible next to the summary). */
  tables: Table[];
  /** Raw HTML appended after the tables (already escaped by its builder). */
  extraHtml?: string;
}

export interface ReportDocument {
  title: string;
  /** One line under the title: what was run (seeds, strategies, simulator version). */
  subtitle: string;
  sections: Section[];
  /** Footer: how the report was made. */
  footer: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) return 'n/a';
  return typeof value === 'number' ? formatFigure(value) : value;
}

/** Numbers as people read them in a table: 3 significant decimals for small values, 1 for large, integers as is. */
export function formatFigure(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 1 ? 2 : 3);
}

export function renderTable(table: Table): string {
  const numeric = new Set(table.numeric ?? []);
  const head = table.header.map((h, i) => `<th${numeric.has(i) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = table.rows
    .map((row) => `<tr>${row.map((v, i) => `<td${numeric.has(i) ? ' class="num"' : ''}>${escapeHtml(cell(v))}</td>`).join('')}</tr>`)
    .join('\n');
  const id = table.id ? ` id="${escapeHtml(table.id)}"` : '';
  return `<div class="table"><h4>${escapeHtml(table.title)}</h4><table${id}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

export function renderFigure(figure: Figure): string {
  return (
    `<figure id="${escapeHtml(figure.id)}" data-series="${figure.series.length}">` +
    `<h4>${escapeHtml(figure.title)}</h4>${figure.svg}<figcaption>${escapeHtml(figure.caption)}</figcaption></figure>`
  );
}

export function renderSection(section: Section): string {
  return [
    `<section id="${escapeHtml(section.id)}">`,
    `<h2>${escapeHtml(section.title)}</h2>`,
    section.intro ? `<p class="intro">${escapeHtml(section.intro)}</p>` : '',
    `<div class="pair">`,
    section.figures.length > 0 ? `<div class="figures">${section.figures.map(renderFigure).join('\n')}</div>` : '',
    section.tables.length > 0 ? `<div class="tables">${section.tables.map(renderTable).join('\n')}</div>` : '',
    `</div>`,
    section.extraHtml ?? '',
    `</section>`,
  ].join('\n');
}

export const REPORT_CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #222; margin: 0; background: #fafafa; }
header, main, footer { max-width: 1500px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 18px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h4 { font-size: 13px; margin: 8px 0 4px; }
.subtitle, .intro, figcaption, footer { color: #555; }
figcaption { font-size: 12px; }
nav a { margin-right: 14px; }
section { background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; padding: 4px 16px 14px; margin: 16px 0; }
.pair { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.figures, .tables { min-width: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 4px 28px; align-items: flex-start; flex: 1 1 auto; max-width: 100%; }
figure { margin: 0 0 14px; display: table; }
figure > figcaption { display: table-caption; caption-side: bottom; }
figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 12px; margin-bottom: 10px; }
th, td { border-bottom: 1px solid #e6e6e6; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 12px/1.4 Menlo, Consolas, monospace; }
pre { background: #f4f4f4; padding: 8px; white-space: pre-wrap; word-break: break-all; }
footer { padding: 16px 24px 32px; font-size: 12px; }
`;

export function renderReport(doc: ReportDocument): string {
  const nav = doc.sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(doc.title)}</h1>
<p class="subtitle">${escapeHtml(doc.subtitle)}</p>
<nav>${nav}</nav>
</header>
<main>
${doc.sections.map(renderSection).join('\n')}
</main>
<footer>${escapeHtml(doc.footer)}</footer>
</body>
</html>
`;
}

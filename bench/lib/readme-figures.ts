/**
 * The README's benchmark figures are generated, never typed: `npm run bench` copies the run's
 * machine and its summary table from BENCHMARKS.md into the README between two markers, and
 * test/unit/benchmark-figures.test.ts fails when the two disagree (a hand edit, or a BENCHMARKS.md
 * written without the README).
 */
export const FIGURES_START = '<!-- bench:start (generated from BENCHMARKS.md by npm run bench) -->';
export const FIGURES_END = '<!-- bench:end -->';

/** The README block for a BENCHMARKS.md: where and when it ran, and its summary table. */
export function figuresBlock(benchmarks: string): string {
  const row = (name: string) =>
    new RegExp(`^\\| ${name} \\| (.*) \\|$`, 'm').exec(benchmarks)?.[1] ?? 'unknown';
  const start = benchmarks.indexOf('## Summary\n');
  if (start === -1) throw new Error('BENCHMARKS.md has no summary');
  const tableStart = benchmarks.indexOf('\n|', start) + 1;
  const tableEnd = benchmarks.indexOf('\n\n', tableStart);
  const summary = benchmarks.slice(tableStart, tableEnd === -1 ? undefined : tableEnd).trim();
  return [
    FIGURES_START,
    `From the last full run (${row('date')}, commit ${row('commit')}; ${row('CPU')}, ${row('memory')}, ` +
      `${row('OS')}, Node.js ${row('Node.js')}; load average ${row('load average at start / end \\(1, 5, 15 min\\)')}):`,
    '',
    summary,
    FIGURES_END,
  ].join('\n');
}

/** The README with its figures block replaced by `block`. */
export function withFigures(readme: string, block: string): string {
  const start = readme.indexOf(FIGURES_START);
  const end = readme.indexOf(FIGURES_END);
  if (start === -1 || end === -1 || end < start)
    throw new Error('README.md has no benchmark figures markers');
  return readme.slice(0, start) + block + readme.slice(end + FIGURES_END.length);
}

/** The figures block the README holds now. */
export function readmeFigures(readme: string): string {
  const start = readme.indexOf(FIGURES_START);
  const end = readme.indexOf(FIGURES_END);
  if (start === -1 || end === -1) throw new Error('README.md has no benchmark figures markers');
  return readme.slice(start, end + FIGURES_END.length);
}

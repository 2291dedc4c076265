/**
 * The README quotes the benchmarks only as generated from the last BENCHMARKS.md
 * (bench/lib/readme-figures.ts): if someone edits one without the other, this fails.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FIGURES_END,
  FIGURES_START,
  figuresBlock,
  readmeFigures,
  withFigures,
} from '../../bench/lib/readme-figures.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe("the README's benchmark figures", () => {
  it('are exactly the summary of the last BENCHMARKS.md, with the machine it ran on', () => {
    const benchmarks = read('BENCHMARKS.md');
    expect(readmeFigures(read('README.md'))).toBe(figuresBlock(benchmarks));
    expect(figuresBlock(benchmarks)).toMatch(/CPU|cores/);
  });

  it('are replaced between the markers and nowhere else', () => {
    const readme = `before\n${FIGURES_START}\nold\n${FIGURES_END}\nafter`;
    expect(withFigures(readme, `${FIGURES_START}\nnew\n${FIGURES_END}`)).toBe(
      `before\n${FIGURES_START}\nnew\n${FIGURES_END}\nafter`,
    );
  });

  it('notice a hand-edited figure', () => {
    const benchmarks = read('BENCHMARKS.md');
    const edited = benchmarks.replace(/\| (pass|\*\*FAIL\*\*) \|/, '| tampered |');
    expect(edited).not.toBe(benchmarks);
    expect(figuresBlock(edited)).not.toBe(figuresBlock(benchmarks));
  });
});

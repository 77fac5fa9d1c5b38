/**
 * bench/README.md sections: a benchmark run rewrites its own figures and keeps the notes written
 * by hand below its `notes` marker, and every other section.
 */
import { describe, expect, it } from 'vitest';
import { withReadmeSection } from '../../bench/readme-section.js';

const README = [
  '# Benchmarks',
  '<!-- bench:store:start -->',
  'old figures',
  '',
  '<!-- bench:store:notes -->',
  'A/B measured by hand: 29 ms per write.',
  '<!-- bench:store:end -->',
  '',
  '<!-- bench:kafka:start -->',
  'kafka figures',
  '<!-- bench:kafka:end -->',
  '',
].join('\n');

describe('bench README sections', () => {
  it('a run replaces its figures and keeps its notes and the other sections', () => {
    const next = withReadmeSection(README, 'store', ['new figures']);
    expect(next).toBe(README.replace('old figures', 'new figures'));
  });

  it('a section without notes is replaced whole', () => {
    const next = withReadmeSection(README, 'kafka', ['## Kafka', 'new']);
    expect(next).toBe(README.replace('kafka figures', '## Kafka\nnew'));
  });

  it('a section met for the first time is added at the end', () => {
    expect(withReadmeSection(README, 'parse', ['parse figures'])).toBe(`${README.trimEnd()}\n\n<!-- bench:parse:start -->\nparse figures\n<!-- bench:parse:end -->\n`);
  });

  it("another section's notes marker is not taken for this one's", () => {
    const next = withReadmeSection(README, 'kafka', ['x']);
    expect(next.match(/bench:store:notes/g)).toHaveLength(1);
    expect(next).toContain('<!-- bench:kafka:start -->\nx\n<!-- bench:kafka:end -->');
  });
});

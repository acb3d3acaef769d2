/**
 * Values a hostile jobspec may hold that once made validate run without end (found by the
 * reliability fuzz): each is judged in milliseconds, with Nomad's diagnostic.
 */
import { describe, expect, it } from 'vitest';
import { validateText } from './load-support.js';

function errors(reschedule: string): string[] {
  const text = `job "j" {\n  type = "batch"\n  reschedule {\n${reschedule}\n  }\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n      config {\n        command = "/bin/true"\n      }\n    }\n  }\n}\n`;
  const diags = validateText(text);
  return diags.items.filter((d) => d.severity === 'error').map((d) => d.summary);
}

describe('reschedule attempts by the quintillion', () => {
  for (const fn of ['exponential', 'fibonacci'])
    it(`${fn}: refused at once, not counted one by one`, { timeout: 5_000 }, () => {
      const t0 = performance.now();
      const found = errors(
        `    attempts = 18446744073709551617\n    interval = "24h"\n    delay = "30s"\n    delay_function = "${fn}"\n    max_delay = "10m"\n    unlimited = false`,
      );
      expect(performance.now() - t0).toBeLessThan(2_000);
      expect(found.join('\n')).toMatch(/Nomad can only make \d+ attempts in 24h/);
    });

  it('the closed form counts as the loop did: 5 attempts of 30s up to 1m fit in 3m, not 2m', () => {
    const at = (interval: string) =>
      errors(
        `    attempts = 5\n    interval = "${interval}"\n    delay = "30s"\n    delay_function = "exponential"\n    max_delay = "1m"\n    unlimited = false`,
      );
    // Delays 30s, 1m, then the 1m ceiling added: 1m, 2m, 3m, 4m cumulative.
    expect(at('5m')).toEqual([]);
    expect(at('3m').join('\n')).toMatch(/can only make 3 attempts in 3m/);
  });
});

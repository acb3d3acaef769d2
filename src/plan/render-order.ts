/** The plan's order in words: `Order: 1. db  2. cache  3. api (after db, cache)`. Pure. */
import type { PlanOrderEntry } from '../generated/plan.js';

export function renderOrder(order: readonly PlanOrderEntry[]): string[] {
  if (order.length === 0) return [];
  const waves = order.some((e) => e.wave !== 0);
  const items = order.map((e, i) => {
    const outside = new Set(e.outside ?? []);
    const notes = [
      ...(waves ? [`wave ${e.wave}`] : []),
      ...(e.after.length
        ? [
            `after ${e.after.map((a) => (outside.has(a) ? `${a} (running, not in this plan)` : a)).join(', ')}`,
          ]
        : []),
    ];
    return `${i + 1}. ${e.job}${notes.length ? ` (${notes.join(', ')})` : ''}`;
  });
  return [`Order: ${items.join('  ')}`];
}

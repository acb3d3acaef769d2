// Prints benchmark results as plain-text tables. Every benchmark module returns the same shape:
//   { name, title, columns: [{ key, label, align?, format? }], rows: [{...}], notes: [string],
//     goals: [{ text, met }] }
// so the runner can print any of them, or emit them all as JSON.

export function formatResult(result) {
  const { columns, rows } = result;
  const cells = rows.map((row) =>
    columns.map((c) => (c.format ? c.format(row[c.key]) : String(row[c.key] ?? ''))),
  );
  const widths = columns.map((c, i) => Math.max(c.label.length, ...cells.map((r) => r[i].length)));
  const pad = (text, i) =>
    columns[i].align === 'left' ? text.padEnd(widths[i]) : text.padStart(widths[i]);
  const lines = [result.title, ''];
  lines.push(columns.map((c, i) => pad(c.label, i)).join('  '));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells) lines.push(r.map(pad).join('  '));
  if (result.notes?.length) lines.push('', ...result.notes);
  for (const g of result.goals ?? []) lines.push(`goal: ${g.text}: ${g.met ? 'MET' : 'NOT MET'}`);
  return lines.join('\n');
}

/** The result without formatting functions, for `--json`. */
export function resultJson(result) {
  return {
    name: result.name,
    title: result.title,
    rows: result.rows,
    notes: result.notes ?? [],
    goals: result.goals ?? [],
    ...(result.data ?? {}),
  };
}

/**
 * drover takes flags the way Nomad and Terraform do (`-json`, `-var k=v`, `-auto-approve`);
 * commander wants `--json`. Long flags written with one dash are rewritten before parsing.
 * Single letters (`-p`, `-f`, `-h`) stay short flags; everything after `--` is left alone.
 */
export function normalizeArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  let passthrough = false;
  for (const arg of argv) {
    if (passthrough) out.push(arg);
    else if (arg === '--') {
      passthrough = true;
      out.push(arg);
    } else if (/^-[a-zA-Z][a-zA-Z0-9-]+(=.*)?$/s.test(arg)) out.push('-' + arg);
    else out.push(arg);
  }
  return out;
}

/** Collects a repeatable option's values (`-var a=1 -var b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

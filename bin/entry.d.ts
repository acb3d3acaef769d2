/** The compiled file (a file: URL) the launcher runs for `argv`, given the CLI's entry `main`. */
export function entryFor(argv: readonly string[], main: URL): URL;

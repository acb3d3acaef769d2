// Types of compose.mjs, for the tests that import it.
export const COMPOSE_IMAGE: string;
export interface Compose {
  command: string;
  prefix: string[];
  version: string;
}
export function prepareCompose(
  log: (msg: string) => void,
): { compose: Compose; skip?: undefined } | { skip: string; compose?: undefined };
export function composeFile(count: number): string;
export function writeComposeProject(dir: string, count: number): string;
export function projectContainers(project: string): string[];

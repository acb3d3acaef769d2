// Types of peer.mjs, for the tests that import it.
import type Docker from 'dockerode';
export function containerRecipe(info: Docker.ContainerInspectInfo): Docker.ContainerCreateOptions;
export function comparable(info: Docker.ContainerInspectInfo): Docker.ContainerCreateOptions;
export function createAndStart(
  docker: Docker,
  recipes: readonly Docker.ContainerCreateOptions[],
  parallelism: number,
): Promise<{ wallMs: number; createMs: number[]; startMs: number[] }>;

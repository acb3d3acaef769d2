// Types of swarm.mjs (its pure parts), for the tests that import it.
export interface SwarmTask {
  DesiredState?: string;
  Status?: { State?: string };
  Spec?: { ContainerSpec?: { Image?: string } };
}
export interface SwarmService {
  UpdateStatus?: { State?: string; Message?: string };
}
export function swarmConverged(
  service: SwarmService,
  tasks: readonly SwarmTask[],
  want: { image: string; replicas: number },
): boolean;
export function swarmStuck(service: SwarmService): string | undefined;

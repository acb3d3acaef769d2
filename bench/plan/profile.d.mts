// Types of profile.mjs, for the tests that import it.
export interface HotSpot {
  name: string;
  ms: number;
}
export function hotSpots(
  file: string,
  root: string,
  top?: number,
): { totalMs: number; self: HotSpot[]; drover: HotSpot[] };

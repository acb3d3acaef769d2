/** Loads a jobspec text as `drover validate` does (no variables, no files): its diagnostics. */
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import { driverConfigCheck } from '../../providers/config-validators.js';

export function validateText(text: string, filename = 'job.nomad.hcl'): Diagnostics {
  const diags = new Diagnostics();
  loadJobSource(
    text,
    filename,
    {
      inputs: { vars: [], varFiles: [], env: {} },
      files: {
        readFile: () => {
          throw new Error('no files');
        },
      },
      drivers: driverConfigCheck,
      now: () => new Date(0),
    },
    diags,
  );
  return diags;
}

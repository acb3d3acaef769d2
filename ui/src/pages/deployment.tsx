/** A deployment drawn as the plan draws its rollout: canaries, the promotion gate, batches. */
import type { JSX } from 'preact';
import { post, seg } from '../api';
import { ActButton, Badge, Section } from '../components';
import { rolloutSteps, stamp, type DeploymentGroup, type RolloutStep } from '../model';
import { may, useWho } from '../perms';

export interface Deployment {
  ID: string;
  Namespace: string;
  JobVersion: number;
  Status: string;
  StatusDescription: string;
  TaskGroups: Record<string, DeploymentGroup>;
  CreateTime: number;
}

function Step({ step }: { step: RolloutStep }): JSX.Element {
  if (step.kind === 'gate')
    return (
      <li class={`gate ${step.done ? 'done' : ''}`} title="promotion gate">
        {step.done ? 'promoted' : 'promote?'}
      </li>
    );
  const boxes = Array.from({ length: step.size }, (_, i) =>
    i < step.healthy ? 'healthy' : i < step.placed ? 'placed' : 'waiting',
  );
  return (
    <li class={`step ${step.kind} ${step.done ? 'done' : ''}`}>
      <span class="step-name">{step.kind}</span>
      <span
        class="boxes"
        aria-label={`${step.healthy} of ${step.size} healthy, ${step.placed} placed`}
      >
        {boxes.map((b, i) => (
          <span key={i} class={`box ${b}`} title={b} />
        ))}
      </span>
    </li>
  );
}

export function DeploymentView(props: {
  d: Deployment;
  maxParallel: (group: string) => number;
}): JSX.Element {
  const { d } = props;
  const who = useWho();
  const active = d.Status === 'running' || d.Status === 'paused' || d.Status === 'pending';
  const needsPromotion = Object.values(d.TaskGroups).some(
    (g) => g.DesiredCanaries > 0 && !g.Promoted,
  );
  const canWrite = may(who, 'submit-job', d.Namespace);
  return (
    <Section title="Deployment" id="deployment">
      <p>
        <Badge status={d.Status} /> <span class="mono">{d.ID.slice(0, 8)}</span> · version{' '}
        {d.JobVersion} · {stamp(d.CreateTime)}
      </p>
      <p class="muted" data-testid="deployment-description">
        {d.StatusDescription}
      </p>
      {Object.entries(d.TaskGroups).map(([name, g]) => {
        const pct = g.DesiredTotal ? Math.round((100 * g.HealthyAllocs) / g.DesiredTotal) : 100;
        return (
          <div class="rollout" key={name} data-group={name}>
            <h3>
              {name}{' '}
              <span class="muted" data-testid="deployment-progress">
                {g.HealthyAllocs}/{g.DesiredTotal} healthy
                {g.UnhealthyAllocs ? `, ${g.UnhealthyAllocs} unhealthy` : ''}
                {g.DesiredCanaries ? `, ${g.DesiredCanaries} canary` : ''}
              </span>
            </h3>
            <progress max={100} value={pct} aria-label={`${name} progress`} />
            <ol class="steps">
              {rolloutSteps(g, props.maxParallel(name)).map((s, i) => (
                <Step key={i} step={s} />
              ))}
            </ol>
          </div>
        );
      })}
      {active && canWrite && (
        <p class="actions">
          {needsPromotion && (
            <ActButton
              label="Promote"
              act={async () => {
                await post(`/v1/deployment/promote/${seg(d.ID)}`, {
                  DeploymentID: d.ID,
                  All: true,
                });
                return 'promoted';
              }}
            />
          )}
          <ActButton
            label="Fail deployment"
            danger
            confirm
            act={async () => {
              await post(`/v1/deployment/fail/${seg(d.ID)}`, { DeploymentID: d.ID });
              return 'failed';
            }}
          />
        </p>
      )}
    </Section>
  );
}

import { ContainerModule } from 'inversify';
import { type PipelineSettings } from '../application/pipeline-settings.js';
import { type Clock } from '../application/ports/clock.port.js';
import { BackfillObjects } from '../application/backfill-objects.use-case.js';
import { DeadLetters } from '../application/dead-letters.use-case.js';
import { ProcessChunk } from '../application/process-chunk.use-case.js';
import { SplitLogObject } from '../application/split-log-object.use-case.js';
import { TOKENS } from './tokens.js';

/** The use cases and what they need besides ports: settings and a clock. */
export function coreModule(settings: PipelineSettings, clock: Clock): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<PipelineSettings>(TOKENS.PipelineSettings).toConstantValue(settings);
    bind<Clock>(TOKENS.Clock).toConstantValue(clock);
    bind<SplitLogObject>(TOKENS.SplitLogObject).to(SplitLogObject).inSingletonScope();
    bind<ProcessChunk>(TOKENS.ProcessChunk).to(ProcessChunk).inSingletonScope();
    bind<DeadLetters>(TOKENS.DeadLetters).to(DeadLetters).inSingletonScope();
    bind<BackfillObjects>(TOKENS.BackfillObjects).to(BackfillObjects).inSingletonScope();
  });
}

import 'reflect-metadata';
import { Container, type ContainerModule } from 'inversify';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from '../application/pipeline-settings.js';
import { type Clock, systemClock } from '../application/ports/clock.port.js';
import { coreModule } from './core.module.js';

export interface ContainerOptions {
  /** The module that binds the three ports: {@link adaptersModule} (memory, local files) or the AWS module. */
  readonly adapters: ContainerModule;
  readonly settings?: Partial<PipelineSettings>;
  readonly clock?: Clock;
}

/** The composition root: the only place where use cases meet adapters. */
export function createContainer(options: ContainerOptions): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  const settings: PipelineSettings = { ...DEFAULT_PIPELINE_SETTINGS, ...options.settings };
  container.load(coreModule(settings, options.clock ?? systemClock), options.adapters);
  return container;
}

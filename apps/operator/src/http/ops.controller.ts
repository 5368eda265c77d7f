/** Liveness (/health), readiness (/ready: Redis, execution node, oracles config), Prometheus (/metrics), state (/status). */
import { Controller, Get, Header, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { OperatorMetrics } from '../metrics.js';

/** What the controller asks the running operator. */
export abstract class OperatorProbe {
  abstract redisPing(): Promise<void>;
  abstract executionBlock(): Promise<number>;
  abstract oraclesConfigured(): Promise<{ oracles: number; threshold: number }>;
  abstract status(): Promise<unknown>;
}

@Controller()
export class OpsController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(OperatorProbe) private readonly probe: OperatorProbe,
    @Inject(OperatorMetrics) private readonly metrics: OperatorMetrics,
  ) {}

  @Get('health')
  @HealthCheck()
  liveness() {
    return this.health.check([async () => this.indicators.check('process').up({ uptimeSeconds: Math.round(process.uptime()) })]);
  }

  @Get('ready')
  @HealthCheck()
  readiness() {
    const check = (key: string, fn: () => Promise<Record<string, unknown>>) => async () => {
      const session = this.indicators.check(key);
      try {
        return session.up(await fn());
      } catch (err) {
        return session.down({ message: (err as Error).message });
      }
    };
    return this.health.check([
      check('redis', async () => {
        await this.probe.redisPing();
        return {};
      }),
      check('execution', async () => ({ blockNumber: await this.probe.executionBlock() })),
      check('oracles', async () => this.probe.oraclesConfigured()),
    ]);
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }

  @Get('status')
  async state(): Promise<unknown> {
    return this.probe.status();
  }
}

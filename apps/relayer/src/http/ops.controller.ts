/** Liveness (/health), readiness (/ready: database, protocol config, beacon node) and Prometheus metrics (/metrics). */
import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { type BeaconClient } from '@dvt/beacon';
import { RelayerMetrics } from '../metrics.js';
import { ProtocolConfigProvider } from '../protocol-config/protocol-config.js';
import { RelayerStore } from '../store/store.js';

export const BEACON_CLIENT = Symbol('BeaconClient');

@ApiExcludeController()
@Controller()
export class OpsController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(RelayerStore) private readonly store: RelayerStore,
    @Inject(ProtocolConfigProvider) private readonly protocol: ProtocolConfigProvider,
    @Inject(BEACON_CLIENT) private readonly beacon: BeaconClient,
    @Inject(RelayerMetrics) private readonly metrics: RelayerMetrics,
  ) {}

  @Get('health')
  @HealthCheck()
  liveness() {
    return this.health.check([async () => this.indicators.check('process').up({ uptimeSeconds: Math.round(process.uptime()) })]);
  }

  @Get('ready')
  @HealthCheck()
  readiness() {
    return this.health.check([
      async () => {
        const session = this.indicators.check('database');
        try {
          await this.store.ping();
          return session.up({ kind: this.store.kind });
        } catch (err) {
          return session.down({ message: (err as Error).message });
        }
      },
      async () => {
        const session = this.indicators.check('protocolConfig');
        const config = this.protocol.peek();
        return config
          ? session.up({ oracles: config.oracles.length, exitSignatureRecoverThreshold: config.exitSignatureRecoverThreshold })
          : session.down({ message: this.protocol.error ?? 'not loaded yet' });
      },
      async () => {
        const session = this.indicators.check('beacon');
        try {
          const syncing = await this.beacon.getSyncing();
          return syncing.isSyncing ? session.degraded({ syncDistance: syncing.syncDistance }) : session.up({ headSlot: syncing.headSlot });
        } catch (err) {
          return session.down({ message: (err as Error).message });
        }
      },
    ]);
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

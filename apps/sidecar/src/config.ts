/**
 * The sidecar's one configuration schema, parsed once at start. Every path may hold the
 * `{node_index}` (Obol) or `{operator_id}` (SSV) placeholder, so one process can act for several
 * nodes of a cluster (test mode, as the Python sidecar's *_TEMPLATE settings).
 */
import { z } from 'zod';
import { NETWORK_NAMES, parseExecutionAddress } from '@dvt/eth2';
import { SidecarError } from './errors.js';

const NODE_INDEX = '{node_index}';
const OPERATOR_ID = '{operator_id}';

const address = z.string().transform((value, ctx) => {
  try {
    return parseExecutionAddress(value, 'address').toLowerCase();
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const milliseconds = z.number().int().positive().max(3_600_000);

const obolSchema = z
  .object({
    type: z.literal('obol'),
    /** cluster-lock.json; may contain {node_index} */
    lockFile: z.string().min(1),
    /** directory of keystore-*.json / .txt; may contain {node_index} */
    keysDir: z.string().min(1),
    /** charon-enr-private-key; optional, tells or confirms the node index */
    identityKeyFile: z.string().min(1).optional(),
    /** 0-based node indexes this process acts for (several = test mode); default: from the identity key */
    nodeIndexes: z.array(z.number().int().nonnegative().max(255)).min(1).optional(),
  })
  .superRefine((c, ctx) => {
    const indexes = c.nodeIndexes ?? [];
    if (new Set(indexes).size !== indexes.length) ctx.addIssue({ code: 'custom', path: ['nodeIndexes'], message: 'node indexes repeat' });
    if (indexes.length > 1 && !c.keysDir.includes(NODE_INDEX)) {
      ctx.addIssue({ code: 'custom', path: ['keysDir'], message: `acting for several nodes needs ${NODE_INDEX} in the keys directory` });
    }
    if (c.nodeIndexes === undefined && c.identityKeyFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['nodeIndexes'], message: 'give the node index, or an identity key file to find it' });
    }
  });

const ssvSchema = z
  .object({
    type: z.literal('ssv'),
    /** JSON array of ValidatorAdded events: {publicKey, operatorIds, shares} */
    eventsFile: z.string().min(1),
    operatorIds: z.array(z.number().int().positive()).min(1),
    /** operator RSA key: SSV's encrypted key JSON or a PEM file; may contain {operator_id} */
    operatorKeyFile: z.string().min(1),
    /** password of an encrypted operator key; may contain {operator_id} */
    operatorPasswordFile: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (new Set(c.operatorIds).size !== c.operatorIds.length) ctx.addIssue({ code: 'custom', path: ['operatorIds'], message: 'operator ids repeat' });
    if (c.operatorIds.length > 1 && !c.operatorKeyFile.includes(OPERATOR_ID)) {
      ctx.addIssue({ code: 'custom', path: ['operatorKeyFile'], message: `acting for several operators needs ${OPERATOR_ID} in the key file path` });
    }
  });

export const sidecarConfigSchema = z
  .object({
    network: z.enum(NETWORK_NAMES),
    /** a local devnet's genesis validators root (exit signatures depend on it) */
    devnetGenesisValidatorsRoot: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, 'expected 0x + 32 bytes of hex')
      .transform((s) => s.toLowerCase())
      .optional(),
    relayer: z.object({
      url: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
      /** current: GET /validators + POST /signatures; legacy: GET /exits + POST /exit-signature; auto: from GET /info */
      api: z.enum(['auto', 'current', 'legacy']).default('auto'),
      timeoutMs: milliseconds.default(10_000),
      /** bearer token of the relayer's sidecar routes, when it requires one */
      token: z.string().trim().min(1).optional(),
    }),
    pollIntervalMs: milliseconds.default(2_000),
    /** cap of the exponential back-off after relayer failures */
    maxBackoffMs: milliseconds.default(60_000),
    /** validators per POST */
    maxSharesPerPush: z.number().int().positive().max(10_000).default(500),
    /**
     * Vaults the sidecar signs deposits for (withdrawal credentials). Empty: any vault, except that a
     * validator whose lock names a withdrawal address is only signed for that address.
     */
    vaults: z.array(address).default([]),
    cluster: z.discriminatedUnion('type', [obolSchema, ssvSchema]),
    http: z
      .object({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65_535) })
      .optional(),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .superRefine((c, ctx) => {
    if (c.devnetGenesisValidatorsRoot !== undefined && c.network !== 'devnet') {
      ctx.addIssue({ code: 'custom', path: ['devnetGenesisValidatorsRoot'], message: `only for the devnet, not ${c.network}` });
    }
  });

export type SidecarConfig = z.output<typeof sidecarConfigSchema>;
export type SidecarConfigInput = z.input<typeof sidecarConfigSchema>;
export type ObolClusterConfig = Extract<SidecarConfig['cluster'], { type: 'obol' }>;
export type SsvClusterConfig = Extract<SidecarConfig['cluster'], { type: 'ssv' }>;

/** Parses the configuration once; a bad value throws CONFIG_INVALID naming every bad setting. */
export function parseSidecarConfig(input: unknown): SidecarConfig {
  const parsed = sidecarConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
  throw new SidecarError('CONFIG_INVALID', `invalid sidecar configuration: ${issues.join('; ')}`, { issues });
}

export function nodePath(template: string, nodeIndex: number): string {
  return template.split(NODE_INDEX).join(String(nodeIndex));
}

export function operatorPath(template: string, operatorId: number): string {
  return template.split(OPERATOR_ID).join(String(operatorId));
}

/** The relayer's HTTP API, both generations (STAKEWISE.md §1). Thin: parse, call the core. */
import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  type ParsedConsolidateRequest,
  type ParsedFundRequest,
  type ParsedLegacyValidatorsRequest,
  type ParsedPushExitSignaturesRequest,
  type ParsedPushSignaturesRequest,
  type ParsedRegisterRequest,
  type ParsedWithdrawRequest,
  consolidateRequestSchema,
  exitsResponseSchema,
  fundRequestSchema,
  infoResponseSchema,
  legacyValidatorsRequestSchema,
  legacyValidatorsResponseSchema,
  pushExitSignaturesRequestSchema,
  pushSignaturesRequestSchema,
  registerRequestSchema,
  registerResponseSchema,
  validatorsManagerSignatureResponseSchema,
  validatorsResponseSchema,
  withdrawRequestSchema,
} from '@dvt/stakewise';
import { RelayerCore } from '../core/relayer-core.js';
import { ClientRole } from './auth.guard.js';
import { ERROR_SCHEMA, openApiSchema } from './openapi.js';
import { ZodBodyPipe } from './zod-body.pipe.js';

const errors = () => (target: object, key: string | symbol, descriptor: PropertyDescriptor) => {
  ApiResponse({ status: 400, description: 'invalid request body (names the field)', schema: ERROR_SCHEMA })(target, key, descriptor);
  ApiResponse({ status: 401, description: 'bearer token missing or wrong (when configured)', schema: ERROR_SCHEMA })(target, key, descriptor);
  ApiResponse({ status: 503, description: 'beacon node, execution node or protocol config unavailable', schema: ERROR_SCHEMA })(target, key, descriptor);
};

const pushErrors = () => (target: object, key: string | symbol, descriptor: PropertyDescriptor) => {
  ApiResponse({
    status: 422,
    description:
      'some items refused (each named by public key and share index in `rejected`; the other items were stored): share does not verify, ' +
      'share index not in the cluster, inconsistent public key shares. 404 when all refusals are unknown keys, 409 when all are conflicts',
    schema: ERROR_SCHEMA,
  })(target, key, descriptor);
};

@ApiTags('current API (operator v4, sidecar v2)')
@ApiBearerAuth()
@Controller()
export class CurrentApiController {
  constructor(@Inject(RelayerCore) private readonly core: RelayerCore) {}

  @Get('info')
  @ApiOperation({ summary: 'Network and validators manager address' })
  @ApiOkResponse({ schema: openApiSchema(infoResponseSchema) })
  info() {
    return this.core.info();
  }

  @Post('register')
  @HttpCode(200)
  @ClientRole('operator')
  @ApiOperation({
    summary: 'Hand out the next unregistered keys for a vault',
    description:
      'Binds the next configured keys not known to the chain to validators_start_index + i, the vault, amounts[i] and the type; ' +
      'returns deposit signatures and encrypted oracle shards when ready (null = poll again; exit_signature is always null). ' +
      'validators_manager_signature is set once every validator of the batch is ready.',
  })
  @ApiBody({ schema: openApiSchema(registerRequestSchema) })
  @ApiOkResponse({ schema: openApiSchema(registerResponseSchema) })
  @errors()
  register(@Body(new ZodBodyPipe(registerRequestSchema)) body: ParsedRegisterRequest) {
    return this.core.register(body);
  }

  @Post('fund')
  @HttpCode(200)
  @ClientRole('operator')
  @ApiOperation({ summary: "Validators manager's signature for fundValidators (nonce root)" })
  @ApiBody({ schema: openApiSchema(fundRequestSchema) })
  @ApiOkResponse({ schema: openApiSchema(validatorsManagerSignatureResponseSchema) })
  @errors()
  fund(@Body(new ZodBodyPipe(fundRequestSchema)) body: ParsedFundRequest) {
    return this.core.fund(body);
  }

  @Post('withdraw')
  @HttpCode(200)
  @ClientRole('operator')
  @ApiOperation({ summary: "Validators manager's signature for withdrawValidators (nonce root)" })
  @ApiBody({ schema: openApiSchema(withdrawRequestSchema) })
  @ApiOkResponse({ schema: openApiSchema(validatorsManagerSignatureResponseSchema) })
  @errors()
  withdraw(@Body(new ZodBodyPipe(withdrawRequestSchema)) body: ParsedWithdrawRequest) {
    return this.core.withdraw(body);
  }

  @Post('consolidate')
  @HttpCode(200)
  @ClientRole('operator')
  @ApiOperation({ summary: "Validators manager's signature for consolidateValidators (nonce root)" })
  @ApiBody({ schema: openApiSchema(consolidateRequestSchema) })
  @ApiOkResponse({ schema: openApiSchema(validatorsManagerSignatureResponseSchema) })
  @errors()
  consolidate(@Body(new ZodBodyPipe(consolidateRequestSchema)) body: ParsedConsolidateRequest) {
    return this.core.consolidate(body);
  }

  @Get('validators')
  @ClientRole('sidecar')
  @ApiOperation({ summary: 'Validators for sidecars to sign (exit and deposit messages)' })
  @ApiOkResponse({ schema: openApiSchema(validatorsResponseSchema) })
  validators() {
    return this.core.pendingValidators();
  }

  @Post('signatures')
  @HttpCode(200)
  @ClientRole('sidecar')
  @ApiOperation({
    summary: "Push one node's partial exit and deposit signatures",
    description: 'Each item is verified against its public key share before it is stored; a bad item is refused alone.',
  })
  @ApiBody({ schema: openApiSchema(pushSignaturesRequestSchema) })
  @ApiOkResponse({ description: 'every item stored', schema: { type: 'object' } })
  @errors()
  @pushErrors()
  async signatures(@Body(new ZodBodyPipe(pushSignaturesRequestSchema)) body: ParsedPushSignaturesRequest) {
    await this.core.pushSignatures(body);
    return {};
  }
}

@ApiTags('legacy DVT API (sidecar v1, operator with deposit data)')
@ApiBearerAuth()
@Controller()
export class LegacyApiController {
  constructor(@Inject(RelayerCore) private readonly core: RelayerCore) {}

  @Post('validators')
  @HttpCode(200)
  @ClientRole('operator')
  @ApiOperation({
    summary: 'Create exits for keys (indexes predicted from the beacon node)',
    description: 'Same path as GET /validators of the current API. ready = every validator has its encrypted oracle shards.',
  })
  @ApiBody({ schema: openApiSchema(legacyValidatorsRequestSchema) })
  @ApiOkResponse({ schema: openApiSchema(legacyValidatorsResponseSchema) })
  @ApiResponse({ status: 404, description: 'a key is not configured in this relayer (nothing stored)', schema: ERROR_SCHEMA })
  @errors()
  createValidators(@Body(new ZodBodyPipe(legacyValidatorsRequestSchema)) body: ParsedLegacyValidatorsRequest) {
    return this.core.legacyValidators(body);
  }

  @Get('exits')
  @ClientRole('sidecar')
  @ApiOperation({ summary: 'Exits for sidecars to sign' })
  @ApiOkResponse({ schema: openApiSchema(exitsResponseSchema) })
  exits() {
    return this.core.exits();
  }

  @Post('exit-signature')
  @HttpCode(200)
  @ClientRole('sidecar')
  @ApiOperation({
    summary: "Push one node's partial exit signatures",
    description: 'Verified on arrival when the key shares are known (configured or sent through the current API); otherwise checked by the rebuild.',
  })
  @ApiBody({ schema: openApiSchema(pushExitSignaturesRequestSchema) })
  @ApiOkResponse({ description: 'every item stored', schema: { type: 'object' } })
  @errors()
  @pushErrors()
  async exitSignature(@Body(new ZodBodyPipe(pushExitSignaturesRequestSchema)) body: ParsedPushExitSignaturesRequest) {
    await this.core.pushExitSignatures(body);
    return {};
  }
}

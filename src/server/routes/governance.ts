// Versioned, governed objects: one set of routes per registered kind (/v1/flows, /v1/models, /v1/watchlist-changes),
// all served by the one governance service. Change-set kinds (watchlist changes) are proposed through their own API,
// so their draft, edit, submit and rollback routes are not offered; approve, reject and activate are the same.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MingjianError } from '../../kernel/errors.ts';
import { callerOf } from '../app.ts';
import type { GovernedVersion } from '../../store/governance-store.ts';
import type { Permission } from '../services/access.ts';
import { permissionsOf, type SourceFormat } from '../services/governance.ts';
import { CommentBodySchema, ErrorDetailSchema, errors, GovernedVersionSchema, OptionalCommentBodySchema } from '../schemas.ts';

const ObjectParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const VersionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }), version: Type.String({ minLength: 1, maxLength: 50 }) });
const DocumentBody = Type.Union([Type.String({ minLength: 1, description: 'YAML (Content-Type: application/yaml)' }), Type.Object({}, { additionalProperties: true, description: 'The document as JSON' })]);
const Validation = Type.Object({ valid: Type.Boolean(), problems: Type.Array(ErrorDetailSchema) });
const VersionSummary = Type.Omit(GovernedVersionSchema, ['body', 'source', 'problems']);

type VP = { Params: Static<typeof VersionParams> };

function documentOf(request: FastifyRequest): { text?: string; value?: unknown; format: SourceFormat } {
  const body = request.body;
  const json = /json/i.test(request.headers['content-type'] ?? '');
  if (typeof body === 'string') return { text: body, format: json ? 'json' : 'yaml' };
  return { value: body, format: 'json' };
}

const summary = (v: GovernedVersion) => {
  const { body: _body, source: _source, ...rest } = v;
  return rest;
};

export default async function governanceRoutes(app: FastifyInstance): Promise<void> {
  const { governance } = app.services;

  for (const k of governance.kinds()) {
    const base = `/v1/${k.plural}`;
    const tags = [k.plural];
    const permissions = permissionsOf(k);
    const read = { config: { auth: permissions.read } };
    const edit = { config: { auth: permissions.edit } };
    const approve = { config: { auth: permissions.approve } };
    const activate = { config: { auth: permissions.activate } };
    const documents = !k.changeSet;

    app.get(base, { ...read, schema: { tags, summary: `List ${k.plural} with their active version`, response: { 200: Type.Object({ items: Type.Array(Type.Object({ objectId: Type.String(), versions: Type.Integer(), activeVersion: Type.Union([Type.String(), Type.Null()]), latestVersion: Type.String(), latestStatus: Type.String() })) }) } } }, async () => ({
      items: await governance.listObjects(k.kind),
    }));

    if (documents) app.post(base, { ...edit, schema: { tags, summary: `Create a draft ${k.kind} version (YAML or JSON); problems are listed, the draft is kept`, body: DocumentBody, response: { 201: GovernedVersionSchema, ...errors(400, 401, 403, 409, 413) } } }, async (request, reply) =>
      reply.code(201).send(await governance.createDraft(callerOf(request), k.kind, documentOf(request))),
    );

    if (documents) app.post(`${base}/validate`, { ...read, schema: { tags, summary: `Validate a ${k.kind} document without saving it`, body: DocumentBody, response: { 200: Validation, ...errors(400, 401, 403) } } }, async (request) =>
      governance.validateDocument(k.kind, documentOf(request)),
    );

    app.get<{ Params: Static<typeof ObjectParams> }>(
      `${base}/:id`,
      {
        ...read,
        schema: {
          tags,
          summary: `A ${k.kind}: its versions and activation history`,
          params: ObjectParams,
          response: {
            200: Type.Object({
              objectId: Type.String(),
              activeVersion: Type.Union([Type.String(), Type.Null()]),
              versions: Type.Array(VersionSummary),
              activations: Type.Array(Type.Object({ version: Type.String(), previousVersion: Type.Union([Type.String(), Type.Null()]), activatedBy: Type.String(), activatedAt: Type.String(), reason: Type.String() })),
            }),
            ...errors(401, 403, 404),
          },
        },
      },
      async (request) => {
        const versions = await governance.listVersions(k.kind, request.params.id);
        if (versions.length === 0) throw new MingjianError('NOT_FOUND', `${k.kind} '${request.params.id}' not found`);
        return {
          objectId: request.params.id,
          activeVersion: versions.find((v) => v.status === 'active')?.version ?? null,
          versions: versions.map(summary),
          activations: await governance.listActivations(k.kind, request.params.id),
        };
      },
    );

    app.get<VP>(`${base}/:id/versions/:version`, { ...read, schema: { tags, summary: `One ${k.kind} version with its document`, params: VersionParams, response: { 200: GovernedVersionSchema, ...errors(401, 403, 404) } } }, async (request) =>
      governance.getVersion(k.kind, request.params.id, request.params.version),
    );

    if (documents) app.put<VP>(
      `${base}/:id/versions/:version`,
      { ...edit, schema: { tags, summary: `Replace a draft's document (only drafts change)`, params: VersionParams, body: DocumentBody, response: { 200: GovernedVersionSchema, ...errors(400, 401, 403, 404, 409) } } },
      async (request) => governance.updateDraft(callerOf(request), k.kind, request.params.id, request.params.version, documentOf(request)),
    );

    app.post<VP>(`${base}/:id/versions/:version/validate`, { ...read, schema: { tags, summary: 'Validate a stored version', params: VersionParams, response: { 200: Validation, ...errors(401, 403, 404) } } }, async (request) =>
      governance.validate(k.kind, request.params.id, request.params.version),
    );

    app.get<{ Params: Static<typeof ObjectParams>; Querystring: { from: string; to: string } }>(
      `${base}/:id/diff`,
      {
        ...read,
        schema: {
          tags,
          summary: 'Structural diff of two versions',
          params: ObjectParams,
          querystring: Type.Object({ from: Type.String({ minLength: 1 }), to: Type.String({ minLength: 1 }) }),
          response: { 200: Type.Object({ from: Type.String(), to: Type.String(), changes: Type.Array(Type.Object({ path: Type.String(), op: Type.String(), before: Type.Optional(Type.Unknown()), after: Type.Optional(Type.Unknown()) })) }), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => ({ from: request.query.from, to: request.query.to, changes: await governance.diff(k.kind, request.params.id, request.query.from, request.query.to) }),
    );

    const action = (path: string, auth: { config: { auth: Permission } }, summaryText: string, required: boolean, run: (request: FastifyRequest<VP & { Body: { comment?: string } | null }>) => Promise<GovernedVersion>) =>
      app.post<VP & { Body: { comment?: string } | null }>(
        `${base}/:id/versions/:version/${path}`,
        { ...auth, schema: { tags, summary: summaryText, params: VersionParams, body: required ? CommentBodySchema : OptionalCommentBodySchema, response: { 200: VersionSummary, ...errors(400, 401, 403, 404, 409) } } },
        async (request) => summary(await run(request)),
      );

    if (documents) action('submit', edit, 'Submit a valid draft for approval', false, (r) => governance.submit(callerOf(r), k.kind, r.params.id, r.params.version, r.body?.comment));
    action('approve', approve, documents ? 'Approve a submitted version (maker-checker: not by its author)' : 'Approve a submitted change set and apply it at once (maker-checker: not by its proposer)', true, (r) => governance.approve(callerOf(r), k.kind, r.params.id, r.params.version, r.body!.comment!));
    action('reject', approve, 'Reject a submitted version with a comment', true, (r) => governance.reject(callerOf(r), k.kind, r.params.id, r.params.version, r.body!.comment!));
    action('activate', activate, documents ? 'Activate an approved version (the active one retires)' : 'Apply an approved change set whose application failed at approval', false, (r) => governance.activate(callerOf(r), k.kind, r.params.id, r.params.version, r.body?.comment));

    const Rollback = Type.Union([Type.Object({ version: Type.Optional(Type.String({ minLength: 1 })), comment: Type.Optional(Type.String({ maxLength: 4000 })) }, { additionalProperties: false }), Type.Null()]);
    if (documents) app.post<{ Params: Static<typeof ObjectParams>; Body: { version?: string; comment?: string } | null }>(
      `${base}/:id/rollback`,
      { ...activate, schema: { tags, summary: 'Re-activate an earlier active version (default: the one active before the current)', params: ObjectParams, body: Rollback, response: { 200: VersionSummary, ...errors(400, 401, 403, 404, 409) } } },
      async (request) => summary(await governance.rollback(callerOf(request), k.kind, request.params.id, request.body?.version, request.body?.comment)),
    );
  }
}

/**
 * The instance map (YAML): each host's OS instances. One schema gives the TypeScript type, the
 * validator and the documentation (README.md beside it). Unknown keys are errors.
 */
import { Type, type Static } from '@sinclair/typebox';

const Name = Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.:-]+$' });

const InstanceEntry = Type.Object(
  {
    id: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.:-]+$', description: 'instance id, unique on its host (the OPS `os.instance`)' }),
    osLine: Type.Union([Type.Literal('3.2'), Type.Literal('4.2')], { description: 'OS line: 3.2 or 4.2 (quote it in YAML)' }),
    version: Type.String({ minLength: 1, pattern: '^[0-9]+(\\.[0-9]+)*$', description: 'OS version, e.g. 4.2.3' }),
    root: Type.Optional(Type.String({ minLength: 1, description: "the instance's root directory (tree snapshots); exactly one of root and image" })),
    image: Type.Optional(Type.String({ minLength: 1, description: "the instance's image file or block device (image snapshots); exactly one of root and image" })),
    repository: Type.String({ minLength: 1, description: 'the snapshot repository of this instance (made by `kintsugi repo init`)' }),
    bootConfig: Type.String({ minLength: 1, description: "the boot loader configuration file this instance boots with; snapshotted with it" }),
  },
  { additionalProperties: false },
);

const HostEntry = Type.Object(
  {
    host: Name,
    instances: Type.Array(InstanceEntry, { minItems: 1, description: "the host's OS instances" }),
  },
  { additionalProperties: false },
);

export const InstanceMapSchema = Type.Object(
  {
    hosts: Type.Array(HostEntry, { description: 'one entry per host' }),
  },
  { additionalProperties: false },
);

export type InstanceMapDocument = Static<typeof InstanceMapSchema>;

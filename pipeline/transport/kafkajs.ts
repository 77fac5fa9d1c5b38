/**
 * kafkajs, loaded with `require`. kafkajs is a CommonJS package, and OpenTelemetry's kafkajs
 * instrumentation (telemetry.ts) patches it only when it is required: its hook sits on `require`,
 * and an ESM `import` of the package goes around it (tried: no span from a producer imported so,
 * a `send <topic>` span from one required). Every module of the transport takes kafkajs's values
 * from here; its types are imported as types, which leave nothing at run time.
 */
import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';

const kafkajs: typeof KafkaJs = createRequire(import.meta.url)('kafkajs');

export const { Kafka, Partitioners, CompressionTypes, logLevel } = kafkajs;

/**
 * The Kafka transport's error catalogue: stable codes, messages that say what to do. Documented in
 * pipeline/transport/README.md ("Errors"); a test keeps the two in step.
 */
export const TRANSPORT_ERRORS = {
  TRN_ERR_BROKERS: 'bad Kafka bootstrap servers "%s": give host:port[,host:port...]',
  TRN_ERR_CONNECT: 'cannot reach the Kafka brokers %s (%s): check the addresses, the network, and that the cluster runs',
  TRN_ERR_PRODUCE: 'Kafka did not acknowledge %s records to %s (%s): nothing was checkpointed; they are sent again on the next try',
  TRN_ERR_NO_KAFKA: 'no Kafka brokers: give --kafka BROKERS or a kafka.brokers list in the configuration',
  TRN_ERR_NO_SOURCES: 'nothing to forward: give --format and files, or a configuration with sources',
  TRN_ERR_SIEM_CHECKPOINT: 'the SIEM topic checkpoint %s is not {"seq": N}: restore it, or delete it to publish every stored event again from the start',
} as const;

export type TransportErrorCode = keyof typeof TRANSPORT_ERRORS;

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    ...args: (string | number)[]
  ) {
    let i = 0;
    super(`${code}: ${TRANSPORT_ERRORS[code].replace(/%s/g, () => String(args[i++] ?? ''))}`);
    this.name = 'TransportError';
  }
}

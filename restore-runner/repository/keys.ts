/** Ed25519 signing keys (FORMAT.md, "Snapshot document"): make, load, sign, verify. */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { errnoOf, messageOf, rstError } from '../errors.js';
import { sha256Hex } from '../format/v1/ids.js';

export interface KeyPairPem {
  readonly publicPem: string;
  readonly privatePem: string;
}

export function generateSigningKey(): KeyPairPem {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** The key ID: SHA-256 of the SPKI DER bytes of the public key. */
export function keyIdOf(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ type: 'spki', format: 'der' }));
}

function readPem(path: string, what: 'private' | 'public'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err: unknown) {
    if (errnoOf(err) === 'ENOENT') throw rstError('RST_ERR_KEY_MISSING', path);
    throw rstError('RST_ERR_KEY_INVALID', path, `${what} key unreadable: ${messageOf(err)}`);
  }
}

export function loadPublicKey(path: string): KeyObject {
  const pem = readPem(path, 'public');
  try {
    const k = createPublicKey(pem);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(`a ${k.asymmetricKeyType ?? 'non-asymmetric'} key`);
    return k;
  } catch (err: unknown) {
    throw rstError('RST_ERR_KEY_INVALID', path, messageOf(err));
  }
}

export function loadPrivateKey(path: string): KeyObject {
  const pem = readPem(path, 'private');
  try {
    const k = createPrivateKey(pem);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(`a ${k.asymmetricKeyType ?? 'non-asymmetric'} key`);
    return k;
  } catch (err: unknown) {
    throw rstError('RST_ERR_KEY_INVALID', path, messageOf(err));
  }
}

export function signBytes(privateKey: KeyObject, data: Uint8Array): string {
  return sign(null, data, privateKey).toString('base64');
}

export function verifyBytes(publicKey: KeyObject, data: Uint8Array, signatureB64: string): boolean {
  try {
    return verify(null, data, publicKey, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

/**
 * A small software authenticator on node:crypto (ES256, "none" attestation), so passkey flows
 * run over real HTTP without a browser. It answers the JSON options the server sends the way
 * @simplewebauthn/browser would hand a browser's answer back.
 */

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor> | Cbor[];

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys. */
export function cbor(value: Cbor): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest();

export interface Credential {
  readonly id: Buffer;
  readonly privateKey: KeyObject;
  readonly rpId: string;
  readonly userHandle: string;
  counter: number;
}

export interface AuthenticatorOptions {
  /** Origin the "browser" puts in clientDataJSON. */
  origin: string;
  /** Report user verification (PIN, biometrics). */
  userVerified?: boolean;
  /** Backup eligible ("synced") credentials. */
  backupEligible?: boolean;
  /** How much the signature counter grows per use; 0 = always 0, like many synced passkeys. */
  counterStep?: number;
}

export class SoftAuthenticator {
  readonly credentials: Credential[] = [];
  constructor(readonly opts: AuthenticatorOptions) {}

  private flags(extra: number): number {
    return 0x01 | (this.opts.userVerified === false ? 0 : 0x04) | (this.opts.backupEligible ? 0x18 : 0) | extra;
  }

  private clientData(type: string, challenge: string, origin = this.opts.origin): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** navigator.credentials.create() for the server's creation options. */
  create(options: { challenge: string; rp: { id?: string }; user: { id: string } }, origin?: string) {
    const rpId = options.rp.id!;
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const cose = cbor(
      new Map<Cbor, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, "base64url")],
        [-3, Buffer.from(jwk.y!, "base64url")],
      ]),
    );
    const id = randomBytes(16);
    const counter = 0;
    const credIdLength = Buffer.from([0, id.length]);
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    const authData = Buffer.concat([sha256(rpId), Buffer.from([this.flags(0x40)]), counterBytes, Buffer.alloc(16), credIdLength, id, cose]);
    const attestationObject = cbor(new Map<Cbor, Cbor>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]));
    const credential: Credential = { id, privateKey, rpId, userHandle: options.user.id, counter };
    this.credentials.push(credential);
    return {
      id: id.toString("base64url"),
      rawId: id.toString("base64url"),
      type: "public-key",
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
      response: {
        clientDataJSON: this.clientData("webauthn.create", options.challenge, origin).toString("base64url"),
        attestationObject: attestationObject.toString("base64url"),
        transports: ["internal"],
      },
    };
  }

  /** navigator.credentials.get() with a chosen credential (default: the first). */
  get(options: { challenge: string; rpId?: string }, opts: { credential?: Credential; origin?: string; counter?: number; userHandle?: string } = {}) {
    const credential = opts.credential ?? this.credentials[0]!;
    credential.counter = opts.counter ?? credential.counter + (this.opts.counterStep ?? 1);
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(credential.counter);
    const authData = Buffer.concat([sha256(options.rpId ?? credential.rpId), Buffer.from([this.flags(0)]), counterBytes]);
    const clientData = this.clientData("webauthn.get", options.challenge, opts.origin);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientData)]), credential.privateKey);
    return {
      id: credential.id.toString("base64url"),
      rawId: credential.id.toString("base64url"),
      type: "public-key",
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
      response: {
        clientDataJSON: clientData.toString("base64url"),
        authenticatorData: authData.toString("base64url"),
        signature: signature.toString("base64url"),
        userHandle: opts.userHandle ?? credential.userHandle,
      },
    };
  }
}

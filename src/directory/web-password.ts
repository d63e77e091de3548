import { hash, verify } from "@node-rs/argon2";

/** Hashes and checks web portal passwords. */
export interface WebPasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/**
 * argon2id with the OWASP-recommended minimum (19 MiB, t=2, p=1); the PHC string carries the
 * parameters, so raising them later still verifies old hashes.
 */
export class Argon2WebPasswordHasher implements WebPasswordHasher {
  hash(password: string): Promise<string> {
    return hash(password, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
  }

  async verify(phc: string, password: string): Promise<boolean> {
    try {
      return await verify(phc, password);
    } catch {
      return false;
    }
  }
}

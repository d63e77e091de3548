import type { Clock } from "../kernel/clock.ts";
import { newId, randomSecret } from "../kernel/ids.ts";
import { digestCredentials } from "./digest-credentials.ts";
import { DirectoryError } from "./errors.ts";
import type { DomainStore, UserStore } from "./ports.ts";
import {
  type DigestCredentials,
  type Domain,
  NO_FEATURES,
  type Page,
  type StoredUser,
  type User,
  type UserFeatures,
} from "./types.ts";
import type { WebPasswordHasher } from "./web-password.ts";

export interface SubscriberDirectoryOptions {
  domains: DomainStore;
  users: UserStore;
  webPasswords: WebPasswordHasher;
  clock: Clock;
}

export interface NewUser {
  /** Domain name; the default domain when omitted. */
  domain?: string;
  extension: string;
  displayName?: string;
  /** SIP (digest) password; a random one is generated and returned when omitted. */
  password?: string;
  /** Web portal password; the user cannot log in to the portal until one is set. */
  webPassword?: string;
  phoneNumbers?: string[];
  features?: Partial<UserFeatures>;
}

export interface UserChanges {
  displayName?: string;
  password?: string;
  /** null removes the web password. */
  webPassword?: string | null;
  phoneNumbers?: string[];
  features?: Partial<UserFeatures>;
}

const EXTENSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const E164 = /^\+[1-9][0-9]{1,14}$/;
const GENERATED_PASSWORD_BYTES = 12;

/**
 * The subscriber directory: domains and users, with the rules every caller (REST API, CLI,
 * registrar, portal) must obey in one place. SIP passwords become digest HA1 values and are not
 * kept; web passwords become argon2id hashes.
 */
export class SubscriberDirectory {
  readonly #domains: DomainStore;
  readonly #users: UserStore;
  readonly #webPasswords: WebPasswordHasher;
  readonly #clock: Clock;
  #defaultDomain: Domain | undefined;

  constructor(options: SubscriberDirectoryOptions) {
    this.#domains = options.domains;
    this.#users = options.users;
    this.#webPasswords = options.webPasswords;
    this.#clock = options.clock;
  }

  /**
   * Finds the domain or creates it; used for the default domain at start-up. Two nodes starting
   * together both succeed: the loser of the insert race reads the winner's row.
   */
  async ensureDomain(name: string): Promise<Domain> {
    const found = await this.#domains.findByName(name.toLowerCase());
    if (found) return found;
    try {
      return await this.createDomain(name);
    } catch (error) {
      const raced = await this.#domains.findByName(name.toLowerCase());
      if (raced) return raced;
      throw error;
    }
  }

  /** Marks `name` as the domain used when a request names none. */
  async useDefaultDomain(name: string): Promise<Domain> {
    this.#defaultDomain = await this.ensureDomain(name);
    return this.#defaultDomain;
  }

  async createDomain(name: string): Promise<Domain> {
    const domain: Domain = { id: newId(), name: name.toLowerCase(), createdAt: this.#timestamp() };
    if ((await this.#domains.create(domain)) === "duplicate") {
      throw new DirectoryError("DIRECTORY_DUPLICATE_DOMAIN", domain.name);
    }
    return domain;
  }

  listDomains(): Promise<Domain[]> {
    return this.#domains.list();
  }

  async domain(name?: string): Promise<Domain> {
    if (name === undefined) {
      if (!this.#defaultDomain) throw new DirectoryError("DIRECTORY_UNKNOWN_DOMAIN", "no default domain set");
      return this.#defaultDomain;
    }
    const found = await this.#domains.findByName(name.toLowerCase());
    if (!found) throw new DirectoryError("DIRECTORY_UNKNOWN_DOMAIN", name);
    return found;
  }

  /** Adds a user; returns the SIP password too when it was generated. */
  async addUser(input: NewUser): Promise<{ user: User; generatedPassword?: string }> {
    const domain = await this.domain(input.domain);
    checkExtension(input.extension);
    const phoneNumbers = checkNumbers(input.phoneNumbers ?? []);
    const generatedPassword =
      input.password === undefined ? randomSecret(GENERATED_PASSWORD_BYTES) : undefined;
    const password = input.password ?? (generatedPassword as string);
    checkPassword(password);
    if (input.webPassword !== undefined) checkPassword(input.webPassword);
    const now = this.#timestamp();
    const id = newId();
    const outcome = await this.#users.create({
      id,
      domainId: domain.id,
      extension: input.extension,
      displayName: input.displayName ?? input.extension,
      phoneNumbers,
      features: { ...NO_FEATURES, ...input.features },
      credentials: digestCredentials(input.extension, domain.name, password),
      webPasswordHash:
        input.webPassword === undefined ? null : await this.#webPasswords.hash(input.webPassword),
      createdAt: now,
    });
    if (outcome === "duplicate-extension") {
      throw new DirectoryError("DIRECTORY_DUPLICATE_EXTENSION", `${input.extension}@${domain.name}`);
    }
    if (outcome === "duplicate-number")
      throw new DirectoryError("DIRECTORY_DUPLICATE_NUMBER", phoneNumbers.join(", "));
    const user = await this.getUser(id);
    return generatedPassword === undefined ? { user } : { user, generatedPassword };
  }

  async getUser(id: string): Promise<User> {
    const stored = await this.#users.get(id);
    if (!stored) throw new DirectoryError("DIRECTORY_USER_NOT_FOUND", id);
    return publicView(stored);
  }

  /** A user with their domain's name and their key, extension@domain (what services and user tokens use). */
  async getUserWithDomain(id: string): Promise<{ user: User; domain: string; key: string }> {
    const user = await this.getUser(id);
    const domain = await this.#domains.get(user.domainId);
    if (!domain) throw new DirectoryError("DIRECTORY_UNKNOWN_DOMAIN", user.domainId);
    return { user, domain: domain.name, key: `${user.extension}@${domain.name}` };
  }

  async findUser(extension: string, domainName?: string): Promise<User | undefined> {
    const domain = await this.domain(domainName);
    const stored = await this.#users.findByExtension(domain.id, extension);
    return stored ? publicView(stored) : undefined;
  }

  /** The user who owns an E.164 number, with the name of their domain. */
  async findUserByNumber(number: string): Promise<{ user: User; domain: string } | undefined> {
    const stored = await this.#users.findByPhoneNumber(number);
    if (!stored) return undefined;
    const domain = await this.#domains.get(stored.domainId);
    return domain ? { user: publicView(stored), domain: domain.name } : undefined;
  }

  async listUsers(query: Page & { domain?: string }): Promise<{ users: User[]; total: number }> {
    const domainId = query.domain === undefined ? undefined : (await this.domain(query.domain)).id;
    const page = await this.#users.list({ limit: query.limit, offset: query.offset, domainId });
    return { users: page.users.map(publicView), total: page.total };
  }

  async updateUser(id: string, changes: UserChanges): Promise<User> {
    const stored = await this.#users.get(id);
    if (!stored) throw new DirectoryError("DIRECTORY_USER_NOT_FOUND", id);
    const patch: Parameters<UserStore["update"]>[1] = { updatedAt: this.#timestamp() };
    if (changes.displayName !== undefined) patch.displayName = changes.displayName;
    if (changes.phoneNumbers !== undefined) patch.phoneNumbers = checkNumbers(changes.phoneNumbers);
    if (changes.features !== undefined) patch.features = changes.features;
    if (changes.password !== undefined) {
      checkPassword(changes.password);
      const domain = await this.#domains.get(stored.domainId);
      if (!domain) throw new DirectoryError("DIRECTORY_UNKNOWN_DOMAIN", stored.domainId);
      patch.credentials = digestCredentials(stored.extension, domain.name, changes.password);
    }
    if (changes.webPassword === null) patch.webPasswordHash = null;
    else if (changes.webPassword !== undefined) {
      checkPassword(changes.webPassword);
      patch.webPasswordHash = await this.#webPasswords.hash(changes.webPassword);
    }
    const outcome = await this.#users.update(id, patch);
    if (outcome === "not-found") throw new DirectoryError("DIRECTORY_USER_NOT_FOUND", id);
    if (outcome === "duplicate-number") {
      throw new DirectoryError("DIRECTORY_DUPLICATE_NUMBER", (patch.phoneNumbers ?? []).join(", "));
    }
    return this.getUser(id);
  }

  async removeUser(id: string): Promise<void> {
    if (!(await this.#users.remove(id))) throw new DirectoryError("DIRECTORY_USER_NOT_FOUND", id);
  }

  /** A domain by name, or undefined. */
  async findDomain(name: string): Promise<Domain | undefined> {
    return this.#domains.findByName(name.toLowerCase());
  }

  /** The digest HA1 values of a user of a domain (the registrar's credential lookup). */
  async digestCredentials(extension: string, domainName: string): Promise<DigestCredentials | undefined> {
    const domain = await this.#domains.findByName(domainName.toLowerCase());
    if (!domain) return undefined;
    return this.#users.credentials(domain.id, extension);
  }

  /** The user if the web password matches; undefined otherwise (same answer for unknown users). */
  async verifyWebPassword(
    extension: string,
    password: string,
    domainName?: string,
  ): Promise<User | undefined> {
    const domain = await this.domain(domainName);
    const stored = await this.#users.findByExtension(domain.id, extension);
    if (!stored?.webPasswordHash) return undefined;
    return (await this.#webPasswords.verify(stored.webPasswordHash, password))
      ? publicView(stored)
      : undefined;
  }

  #timestamp(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

function publicView(stored: StoredUser): User {
  const { credentials: _credentials, webPasswordHash: _hash, ...user } = stored;
  return user;
}

function checkExtension(extension: string) {
  if (!EXTENSION.test(extension))
    throw new DirectoryError("DIRECTORY_INVALID_EXTENSION", JSON.stringify(extension));
}

function checkNumbers(numbers: string[]): string[] {
  for (const number of numbers) {
    if (!E164.test(number)) throw new DirectoryError("DIRECTORY_INVALID_NUMBER", JSON.stringify(number));
  }
  return [...new Set(numbers)];
}

function checkPassword(password: string) {
  if (password.length < 6 || password.length > 128) throw new DirectoryError("DIRECTORY_INVALID_PASSWORD");
}

/**
 * A routing-point number configured as an emergency number (SERVICES.md, service 5, step 1):
 * what is dialled, the users it is bound to, and how the call is made.
 */
export interface EmergencyNumber {
  /** What callers dial (digits, *, #, +), e.g. "112" or "5000". */
  number: string;
  /** A name for admins ("Plant security"). */
  label: string;
  /**
   * The bound users, in order: extensions ("1002") or extension@domain. One user: the call goes
   * straight to that user's phones. Several: a dynamic conference with all of them.
   */
  users: string[];
  /**
   * Precedence from 1 (lowest) to 9: a busy callee's call is preempted only when its own priority
   * is lower (ordinary calls have 0).
   */
  priority: number;
  /** Record the call whatever anyone's subscription. */
  record: boolean;
  /** Tell the caller what happens ("Emergency call. Please stay on the line." / "connecting you to the emergency group"). */
  announcement: boolean;
  /** Seconds each bound user's phones ring. */
  ringTimeout: number;
  /** How many more times a bound user who did not answer (or was busy) is rung. */
  retries: number;
  /** RFC 4412 Resource-Priority value on the INVITEs, e.g. "esnet.0". */
  resourcePriority: string;
  /** `config` numbers come from the config file and are read-only in the API; `admin` ones are stored. */
  source: "config" | "admin";
}

/** Admin-managed emergency numbers (SQL in production, memory in tests). */
export interface EmergencyNumberStore {
  list(): Promise<EmergencyNumber[]>;
  get(number: string): Promise<EmergencyNumber | undefined>;
  save(entry: EmergencyNumber): Promise<void>;
  /** Whether there was such a number. */
  remove(number: string): Promise<boolean>;
}

export class MemoryEmergencyNumberStore implements EmergencyNumberStore {
  readonly #numbers = new Map<string, EmergencyNumber>();

  async list(): Promise<EmergencyNumber[]> {
    return [...this.#numbers.values()]
      .sort((a, b) => a.number.localeCompare(b.number))
      .map((n) => ({ ...n, users: [...n.users] }));
  }

  async get(number: string): Promise<EmergencyNumber | undefined> {
    const found = this.#numbers.get(number);
    return found && { ...found, users: [...found.users] };
  }

  async save(entry: EmergencyNumber): Promise<void> {
    this.#numbers.set(entry.number, { ...entry, users: [...entry.users], source: "admin" });
  }

  async remove(number: string): Promise<boolean> {
    return this.#numbers.delete(number);
  }
}

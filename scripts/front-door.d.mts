/** Types of front-door.mjs for the TypeScript callers. */
export const FRONT_DOOR_CONFIG: string;
export const KAMAILIO_HOW_TO_GET: string;

export interface FrontDoorNode {
  address: string;
  port: number;
  /** duid attribute in the dispatcher list (default node<N>). */
  id?: string;
}

export function findKamailio(): { kamailio: string; kamcmd: string } | undefined;
export function fillKamailioConfig(template: string, values: Record<string, string | number>): string;
export function dispatcherList(nodes: readonly FrontDoorNode[]): string;
export function writeFrontDoor(options: {
  dir: string;
  address?: string;
  port: number;
  nodes: readonly FrontDoorNode[];
  probeIntervalSeconds?: number;
  nodeTimeoutMs?: number;
  children?: number;
  kamailio?: string;
  sharedMemoryMb?: number;
  privateMemoryMb?: number;
}): { config: string; list: string; ctl: string; command: [string, ...string[]] };
export function sipOptionsPing(
  address: string,
  port: number,
  options?: { timeoutMs?: number; stillRunning?: () => boolean },
): Promise<number | undefined>;

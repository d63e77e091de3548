/**
 * One click-to-call as the portal and the API follow it: the steps the service description names
 * (calling you → you answered → calling the merchant → connected → ended), pushed as they happen.
 */
export type ClickCallStep =
  | "checking"
  | "calling-member"
  | "member-answered"
  | "calling-merchant"
  | "connected"
  | "warning"
  | "ended"
  | "refused"
  | "failed";

export interface ClickCallEvent {
  /** 1, 2, 3 … within the call. */
  seq: number;
  step: ClickCallStep;
  /** Epoch milliseconds. */
  at: number;
  /** For people: "Calling you at 1001", "Not enough balance", "The merchant did not answer". */
  message: string;
}

export interface ClickCall {
  id: string;
  /** The member who clicked (extension@domain), or undefined for the widget. */
  member?: string;
  /** The number the member confirmed (their phone). */
  memberNumber: string;
  merchantId: string;
  merchantNumber: string;
  /** The billing account that pays. */
  payerAccount?: string;
  step: ClickCallStep;
  /** Seconds the member and the merchant were connected (billed), once ended. */
  durationSeconds?: number;
  /** What the payer was charged, minor units, once ended. */
  cost?: number;
  currency?: string;
  /** The call-control call id (the CDR's). */
  callId?: string;
  /** The longest the call may last, from the payer's balance. */
  maxSeconds?: number;
  events: ClickCallEvent[];
}

/** Why a click-to-call was refused before any call was placed (clear messages for the page and the API). */
export class ClickToCallRefused extends Error {
  readonly code:
    | "CLICK_BALANCE"
    | "CLICK_MERCHANT"
    | "CLICK_NUMBER"
    | "CLICK_PAYER"
    | "CLICK_RATE"
    | "CLICK_LIMIT";

  constructor(code: ClickToCallRefused["code"], message: string) {
    super(message);
    this.code = code;
  }
}

/** What the portal, the widget and the API ask for. */
export interface ClickRequest {
  /** The member clicking (extension@domain); absent for the widget. */
  member?: string;
  /** The member's phone to call first: an extension or an E.164 number. */
  memberNumber: string;
  merchantId: string;
  /** Which of the merchant's numbers (its button); 0 by default. */
  numberIndex?: number;
}

/** Service 3: the persistent background call (the server keeps trying the callee, then calls you back). */
export {
  type BackgroundCallCodes,
  backgroundCallModule,
  type IncomingText,
} from "./background-call-module.ts";
export {
  type BackgroundCallEvents,
  BackgroundCallService,
  type BackgroundCallServiceOptions,
  type BackgroundCallSettings,
  type CallbackDialer,
  CallbackRefused,
  type CallbackUser,
  type StartRequest,
  type TextMessages,
} from "./background-call-service.ts";
export {
  type CallbackJob,
  type CallbackJobState,
  type CallbackLogEntry,
  type CallbackOrigin,
  FINAL_STATES,
  isActive,
} from "./callback-job.ts";
export { CallbackOffers } from "./callback-offers.ts";
export {
  type CallbackBlockList,
  type CallbackJobStore,
  MemoryCallbackBlockList,
  MemoryCallbackJobStore,
} from "./job-store.ts";
export { QuietHours } from "./quiet-hours.ts";
export { LoggingSmsGateway, type SmsGateway, WebhookSmsGateway } from "./sms-gateway.ts";

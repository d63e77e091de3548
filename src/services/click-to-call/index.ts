/** Service 4: click-to-call from a web page, with a paying party whose balance is checked. */
export {
  type ClickCall,
  type ClickCallEvent,
  type ClickCallStep,
  type ClickRequest,
  ClickToCallRefused,
} from "./click-call.ts";
export {
  type ClickCredit,
  type ClickDialer,
  type ClickMember,
  type ClickPlan,
  type ClickToCallEvents,
  ClickToCallService,
  type ClickToCallServiceOptions,
  memberNumberOf,
} from "./click-to-call-service.ts";
export {
  MemoryMerchantStore,
  type Merchant,
  type MerchantCampaign,
  type MerchantNumber,
  type MerchantQuery,
  type MerchantStore,
  type PayerRule,
} from "./merchant-store.ts";

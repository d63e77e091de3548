/** Service 5: emergency calls with Alert-Info, preemption of busy callees, and dynamic conferences. */
export { EMERGENCY_ALERT_URN, emergencyAlertInfo, type PhoneProfile } from "./alert-marking.ts";
export {
  type EmergencyAuditEntry,
  type EmergencyAuditEvent,
  type EmergencyAuditLog,
  type EmergencyAuditQuery,
  MemoryEmergencyAuditLog,
  sortAudit,
} from "./emergency-audit-log.ts";
export { EmergencyCall, type EmergencyParticipant, type EmergencySettings } from "./emergency-call.ts";
export {
  type EmergencyNumber,
  type EmergencyNumberStore,
  MemoryEmergencyNumberStore,
} from "./emergency-number.ts";
export {
  type EmergencyCallView,
  EmergencyNumberRefused,
  EmergencyService,
  type EmergencyServiceOptions,
} from "./emergency-service.ts";

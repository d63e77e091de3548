export { Dialog, type DialogId, type DialogState, dialogKey } from "./dialog.ts";
export { DialogTable } from "./dialog-table.ts";

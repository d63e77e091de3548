import { MemoryCdrStore } from "../../../src/calls/cdr/index.ts";
import { cdrStoreContract } from "../../support/cdr-store-contract.ts";

cdrStoreContract("MemoryCdrStore", async () => new MemoryCdrStore());

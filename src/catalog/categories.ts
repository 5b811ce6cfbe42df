/**
 * The 14 category wire values (spec sections 3 and 8). SDK 4.28 accepts the first 13; `scheduling`
 * arrived with 4.32.2 and makes an older SDK reject a session that carries it, because the enum is
 * closed in session requests and responses. `hrisLegacy` and `stackOne` are not wire values.
 */
export const CATEGORIES = [
  "ats",
  "hris",
  "hris-legacy",
  "crm",
  "iam",
  "marketing",
  "lms",
  "stackone",
  "documents",
  "ticketing",
  "screening",
  "messaging",
  "accounting",
  "scheduling",
] as const;

export type Category = (typeof CATEGORIES)[number];

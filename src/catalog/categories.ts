/**
 * The 13 category wire values StackOne's SDK 4.28 accepts (spec section 3). The enum is closed in
 * session requests and responses: `hrisLegacy`, `stackOne` and `scheduling` make the SDK reject.
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
] as const;

export type Category = (typeof CATEGORIES)[number];

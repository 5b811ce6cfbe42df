import { z } from "zod";

/** A list in a query string: repeated keys (`?a=1&a=2`, the SDK's form) and `?a=1,2` both work. */
export const commaList = (maxItems: number, maxLength = 255) =>
  z.preprocess(
    (v) =>
      v === undefined
        ? undefined
        : (Array.isArray(v) ? v : [v])
            .flatMap((s) => String(s).split(","))
            .map((s) => s.trim())
            .filter(Boolean),
    z.array(z.string().max(maxLength)).max(maxItems).optional(),
  );

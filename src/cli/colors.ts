import { createColors } from "picocolors";
import { wantsColors } from "../pretty-log.js";

/**
 * The CLI's and the banner's colours. picocolors on its own turns them on whenever `CI` is set, even
 * into a pipe or a file; Portico follows the terminal, NO_COLOR and FORCE_COLOR, as its logs do.
 */
export const pc = createColors(wantsColors(process.stdout));
